"""Coverage gaps: supply of offers per field and role against demand, one provider's portfolio, the demand log,
and the reports (JSON, CSV, HTML with pictures)."""
from ._demand import DemandLog, gather_demand, metadata
from ._gaps import (INDICATIVE_RULE, MIN_DEMAND, MIN_GAP, OPEN_WEIGHT, RULE, Cell, CoverageReport, DemandRecord,
                    FieldCoverage, coverage_report, demand_records, exposure, field_coverage, gap_status, gini,
                    is_underserved, requests_to_settle, supply_table, wilson, with_reference)
from ._portfolio import Portfolio, find_provider, portfolio
from ._report import FORMATS, check_output, write_coverage, write_portfolio

__all__ = [
    "FORMATS", "INDICATIVE_RULE", "MIN_DEMAND", "MIN_GAP", "OPEN_WEIGHT", "RULE", "Cell", "CoverageReport", "DemandLog", "DemandRecord",
    "FieldCoverage", "Portfolio", "check_output", "coverage_report", "demand_records", "exposure", "field_coverage",
    "find_provider", "gap_status", "gather_demand", "gini", "is_underserved", "metadata", "portfolio",
    "requests_to_settle", "supply_table", "wilson", "with_reference",
    "write_coverage", "write_portfolio",
]
