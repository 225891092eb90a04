"""Reading a catalog: every bad record reported with its line, field and problem; the good ones kept."""
from __future__ import annotations

import hashlib
from pathlib import Path

from ..core import Offer, Problem, parse_offer
from ._columns import OFFER_HEADERS
from ._file_error import file_error
from ._records import open_records

REQUIRED_COLUMNS = ("id", "title", "description", "provider", "fields", "offer_type", "region")  # format, cost optional


def read_catalog(path: str | Path, *, sheet: str | None = None) -> tuple[list[Offer], list[Problem]]:
    """Good offers and the problems of the bad records; raises MatcherInputError only for file-level problems.

    JSON Lines, CSV or Excel (the first visible sheet, or `sheet`); table files may use German headers
    (Titel, Beschreibung, Anbieter, ...) and German labels as values.
    """
    records = open_records(path, sheet=sheet, names=OFFER_HEADERS)
    if records.columns:
        missing = records.columns.lacking(REQUIRED_COLUMNS, OFFER_HEADERS)
        if missing:
            raise file_error(f"{records.columns.where} lacks the columns {'; '.join(missing)}; found: "
                             f"{', '.join(records.columns.key_of)}", "missing_columns")
    offers: list[Offer] = []
    problems: list[Problem] = []
    first_line: dict[str, int] = {}
    for line, raw, problem in records:
        if problem:
            problems.append(problem)
            continue
        offer, found = parse_offer(raw, (line,))
        if found:
            problems.extend(map(records.located, found))
            continue
        if offer.id in first_line:
            unit = "row" if records.kind == "xlsx" else "line"
            problems.append(records.located(Problem(
                (line, "id"), f"duplicate id {offer.id!r}: first on {unit} {first_line[offer.id]}, again on {unit} "
                f"{line}", "duplicate_id")))
            continue
        first_line[offer.id] = line
        offers.append(offer)
    if not offers and not problems:
        problems.append(records.located(Problem((), "file holds no records", "empty_file")))
    return offers, problems


def file_sha256(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
