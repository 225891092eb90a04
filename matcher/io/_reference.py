"""A reference mix of roles (e.g. staff counts from a municipality's statistics), against which supply is read
when there is no demand data yet: JSON Lines or CSV, one role and its count per record."""
from __future__ import annotations

from pathlib import Path

from ..core import ROLES, MatcherInputError, Problem, unknown_code_message
from ._file_error import file_error
from ._records import open_records

REFERENCE_HEADERS = {"role": ("Rolle",), "count": ("Anzahl",)}


def read_reference_roles(path: str | Path) -> dict[str, float]:
    """{role: count}; every bad record is reported (MatcherInputError with line and field), since a mix with a
    role left out would shift every share."""
    records = open_records(path, names=REFERENCE_HEADERS)
    mix: dict[str, float] = {}
    problems = []
    for line, raw, problem in records:
        if problem is not None:
            problems.append(problem)
            continue
        role, count = raw.get("role"), raw.get("count")
        role = role.strip() if isinstance(role, str) else role
        if role not in ROLES:
            problems.append(Problem((line, "role"), "role is missing" if role in (None, "") else
                                    unknown_code_message(role, "role"), "missing" if role in (None, "") else
                                    "unknown_code"))
        elif role in mix:
            problems.append(Problem((line, "role"), f"role {role!r} is given twice", "duplicate_id"))
        try:
            number = float(str(count).replace(",", ".")) if count is not None and not isinstance(count, bool) \
                else None
        except ValueError:
            number = None
        if number is None or not number >= 0 or number == float("inf"):
            problems.append(Problem((line, "count"), f"count must be a number of at least 0, got {count!r}",
                                    "wrong_type"))
        elif role in ROLES and role not in mix:
            mix[role] = number
    if problems:
        raise MatcherInputError(problems)
    if not sum(mix.values()) > 0:
        raise file_error(f"file {str(path)!r} gives no role a count above 0", "empty")
    return mix
