"""Coverage gaps: supply of offers per field and role against demand, one provider's portfolio, the demand log,
and the reports (JSON, CSV, HTML with pictures)."""
from ._demand import DemandLog, connect, default_demand_db, delete_expired, gather_demand, metadata
from ._gaps import (INDICATIVE_RULE, MIN_DEMAND, MIN_GAP, OPEN_WEIGHT, CoverageReport, DemandRecord, coverage_report,
                    demand_records, exposure, field_coverage, gap_status, gini, requests_to_settle, wilson,
                    with_reference)
from ._report import MIN_VERDICTS, Portfolio, Responses, portfolio, write_coverage, write_gap_report, write_provider_report

__all__ = [
    "CoverageReport", "DemandLog", "connect", "default_demand_db", "delete_expired", "DemandRecord", "INDICATIVE_RULE", "MIN_DEMAND", "MIN_GAP", "OPEN_WEIGHT",
    "MIN_VERDICTS", "Portfolio", "Responses", "coverage_report", "demand_records", "exposure", "field_coverage", "gap_status", "gather_demand",
    "gini", "metadata", "portfolio", "requests_to_settle", "wilson", "with_reference", "write_coverage",
    "write_gap_report", "write_provider_report",
]
