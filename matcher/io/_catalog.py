"""Reading a catalog: every bad record reported with its line, field and problem; the good ones kept."""
from __future__ import annotations

import hashlib
from pathlib import Path

from ..core import Offer, Problem, parse_offer
from ._records import csv_columns, file_error, open_records

REQUIRED_COLUMNS = ("id", "title", "description", "provider", "fields", "offer_type", "format", "region", "cost")


def read_catalog(path: str | Path) -> tuple[list[Offer], list[Problem]]:
    """Good offers and the problems of the bad records; raises MatcherInputError only for file-level problems."""
    kind, records = open_records(path)
    if kind == "csv":
        columns = csv_columns(path)
        missing = [c for c in REQUIRED_COLUMNS if c not in columns]
        if missing:
            raise file_error(f"CSV header lacks the columns {', '.join(missing)}; found: {', '.join(columns)}",
                             "missing_columns")
    offers: list[Offer] = []
    problems: list[Problem] = []
    first_line: dict[str, int] = {}
    for line, raw, problem in records:
        if problem:
            problems.append(problem)
            continue
        offer, found = parse_offer(raw, (line,))
        if found:
            problems.extend(found)
            continue
        if offer.id in first_line:
            problems.append(Problem((line, "id"), f"duplicate id {offer.id!r}: first on line {first_line[offer.id]}, "
                                    f"again on line {line}", "duplicate_id"))
            continue
        first_line[offer.id] = line
        offers.append(offer)
    if not offers and not problems:
        problems.append(Problem((), "file holds no records", "empty_file"))
    return offers, problems


def file_sha256(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
