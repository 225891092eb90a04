"""Coverage gaps: supply of offers per field and role against demand, one provider's portfolio, the demand log,
and the reports (JSON, CSV, HTML with pictures)."""
from ._demand import DemandLog, gather_demand, metadata
from ._gaps import (MIN_DEMAND, MIN_GAP, OPEN_WEIGHT, RULE, Cell, CoverageReport, DemandRecord, FieldCoverage,
                    coverage_report, demand_records, exposure, field_coverage, gini, is_underserved, supply_table,
                    wilson)
from ._portfolio import Portfolio, find_provider, portfolio
from ._report import FORMATS, check_output, write_coverage, write_portfolio

__all__ = [
    "FORMATS", "MIN_DEMAND", "MIN_GAP", "OPEN_WEIGHT", "RULE", "Cell", "CoverageReport", "DemandLog", "DemandRecord",
    "FieldCoverage", "Portfolio", "check_output", "coverage_report", "demand_records", "exposure", "field_coverage",
    "find_provider", "gather_demand", "gini", "is_underserved", "metadata", "portfolio", "supply_table", "wilson",
    "write_coverage", "write_portfolio",
]
