"""Files in and out: catalog, profile and team readers for JSON Lines, CSV and Excel (every bad record reported,
the good ones kept; German headers and labels read), wire dicts shared by batch files, `recommend --json` and the
HTTP answers, atomic output (JSON Lines, CSV, Excel), the Excel template, the terminal table."""
from ._catalog import REQUIRED_COLUMNS, file_sha256, read_catalog
from ._output import atomic_output, is_csv, is_table, is_xlsx, safe_cell
from ._profiles import read_profiles, read_teams
from ._records import open_records
from ._reference import read_reference_roles
from ._table import describe_reading, render_result
from ._template import template_bytes, write_template
from ._wire import OFFER_SUMMARY, group_result_to_dict, offer_summary, result_to_dict

__all__ = [
    "OFFER_SUMMARY", "REQUIRED_COLUMNS", "atomic_output", "describe_reading", "file_sha256", "group_result_to_dict",
    "is_csv", "is_table", "is_xlsx", "offer_summary", "open_records", "read_catalog", "read_profiles",
    "read_reference_roles", "read_teams", "render_result", "result_to_dict", "safe_cell", "template_bytes",
    "write_template",
]
