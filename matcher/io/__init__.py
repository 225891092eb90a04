"""Files in and out: catalog, profile and team readers for JSON Lines, CSV and Excel (every bad record reported,
the good ones kept; German headers and labels read), wire dicts shared by batch files, `recommend --json` and the
HTTP answers, atomic output (JSON Lines, CSV, Excel), the Excel template, the terminal table."""
from ._output import (atomic_output, group_result_to_dict, is_table, offer_summary, render_result, result_to_dict,
                      safe_cell)
from ._readers import file_sha256, read_catalog, read_profiles, read_reference_roles, read_teams
from ._xlsx import template_bytes, write_template

__all__ = [
    "atomic_output", "file_sha256", "group_result_to_dict", "is_table", "offer_summary", "read_catalog",
    "read_profiles", "read_reference_roles", "read_teams", "render_result", "result_to_dict", "safe_cell",
    "template_bytes", "write_template",
]
