"""Excel workbooks (.xlsx) read as streamed rows: openpyxl in read-only mode, the cached values of formulas.

The header row is found even below title rows; a merged cell's value counts for every cell it covers, as it
shows on screen; empty rows are skipped; hidden sheets are skipped unless named. A formula whose result was never
stored (a file written by a program, not saved by Excel or LibreOffice) is reported, not read as empty.
"""
from __future__ import annotations

import difflib
import zipfile
from collections.abc import Iterator
from pathlib import Path
from xml.etree.ElementTree import iterparse

from ..core import Problem
from ._file_error import file_error

HEADER_SEARCH_ROWS = 50  # title rows, notes and blank rows a header may sit below
_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_ZIP, _OLE = b"PK\x03\x04", b"\xd0\xcf\x11\xe0"


def is_workbook(path: Path, head: bytes) -> bool:
    return path.suffix.lower() in (".xlsx", ".xlsm") or head.startswith(_ZIP)


def open_workbook(path: Path, head: bytes, sheet: str | None):
    """(workbook, worksheet): the named sheet, else the first visible one. File-level problems raise here."""
    name = str(path)
    if head.startswith(_OLE):
        raise file_error(f"file {name!r} is an old Excel file (.xls) or a password-protected workbook; save it "
                         "as 'Excel-Arbeitsmappe (.xlsx)' without a password", "wrong_format")
    from openpyxl import load_workbook
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises zipfile, KeyError and its own errors for files that are no workbook
        raise file_error(f"file {name!r} is not an Excel workbook (.xlsx) that can be read: "
                         f"{type(exc).__name__}", "wrong_format") from None
    names = workbook.sheetnames
    if sheet is not None and sheet not in names:
        workbook.close()
        near = difflib.get_close_matches(sheet, names, n=1, cutoff=0.6)
        hint = f"did you mean {near[0]!r}? " if near else ""
        raise file_error(f"file {name!r} has no sheet {sheet!r}; {hint}its sheets: {', '.join(names)}",
                         "unknown_sheet")
    chosen = workbook[sheet] if sheet is not None else next(
        (ws for ws in workbook.worksheets if ws.sheet_state == "visible"), None)
    if chosen is None:
        workbook.close()
        raise file_error(f"file {name!r} has no visible sheet; name one with --sheet", "unknown_sheet")
    return workbook, chosen


def _sheet_extras(path: Path, worksheet) -> tuple[list[tuple[int, int, int, int]], set[tuple[int, int]]]:
    """(merged ranges as (first row, first col, last row, last col), cells with a formula but no stored result),
    from one streamed pass over the sheet's XML (openpyxl's read-only mode reads neither)."""
    from openpyxl.utils.cell import coordinate_to_tuple, range_boundaries
    merged, unvalued = [], set()
    with zipfile.ZipFile(path) as archive, archive.open(worksheet._worksheet_path) as xml:
        for _, element in iterparse(xml):
            if element.tag == _NS + "c":
                formula, value = element.find(_NS + "f"), element.find(_NS + "v")
                if formula is not None and (value is None or not (value.text or "").strip()):
                    unvalued.add(coordinate_to_tuple(element.get("r")))
                element.clear()
            elif element.tag == _NS + "row":
                element.clear()
            elif element.tag == _NS + "mergeCell":
                min_col, min_row, max_col, max_row = range_boundaries(element.get("ref"))
                merged.append((min_row, min_col, max_row, max_col))
    return merged, unvalued


def _rows(worksheet, merged) -> Iterator[tuple[int, list]]:
    """(row number, values) with merged ranges filled from their top-left cell."""
    carried: dict[tuple[int, int], object] = {}  # (row, col) -> value of the range's top-left cell
    for number, values in enumerate(worksheet.iter_rows(values_only=True), start=1):
        values = list(values)
        for first_row, first_col, last_row, last_col in merged:
            if first_row == number and first_col <= len(values):
                top_left = values[first_col - 1]
                for r in range(first_row, last_row + 1):
                    for c in range(first_col, last_col + 1):
                        carried[(r, c)] = top_left
        if carried:
            width = max([len(values)] + [c for (r, c) in carried if r == number])
            values += [None] * (width - len(values))
            for c in range(1, width + 1):
                if (number, c) in carried:
                    values[c - 1] = carried.pop((number, c))
        yield number, values


def _text(value) -> str:
    return "" if value is None else str(value).strip()


def xlsx_records(path: Path, head: bytes, sheet: str | None, known_headers) -> tuple[str, list[str], Iterator]:
    """(sheet name, header cells, iterator of (row, {header: value}, None) or (row, None, problem)).

    known_headers(cells) tells how many cells of a row name known columns: the first row of the first
    HEADER_SEARCH_ROWS with two or more is the header, else the first row with two or more filled cells.
    """
    workbook, worksheet = open_workbook(path, head, sheet)
    try:
        merged, unvalued = _sheet_extras(path, worksheet)
        searched = []
        for number, values in _rows(worksheet, merged):
            searched.append((number, [_text(v) for v in values]))
            if known_headers(searched[-1][1]) >= 2 or number >= HEADER_SEARCH_ROWS:
                break
        found = [(n, c) for n, c in searched if known_headers(c) >= 2] or \
                [(n, c) for n, c in searched if sum(map(bool, c)) >= 2]
        if not found:
            what = "is empty" if not any(any(c) for _, c in searched) else \
                f"has no header row in its first {HEADER_SEARCH_ROWS} rows"
            raise file_error(f"sheet {worksheet.title!r} of {str(path)!r} {what}", "empty_file")
    except BaseException:
        workbook.close()
        raise
    header_row, headers = found[0]
    rows = ((n, v) for n, v in _rows(worksheet, merged) if n > header_row)  # read again: a header is near the top
    return worksheet.title, headers, _records(workbook, rows, headers, unvalued)


def _records(workbook, rows, headers, unvalued):
    try:
        for number, values in rows:
            if not any(_text(v) for v in values):
                continue  # blank rows, also the empty trailing rows Excel keeps formatted
            cells = {h: v for h, v in zip(headers, values) if h}
            missing_result = [h for col, h in enumerate(headers, start=1) if h and (number, col) in unvalued]
            if missing_result:
                yield number, None, Problem(
                    (number, missing_result[0]), "the cell holds a formula whose result was never stored; open "
                    "the file in Excel or LibreOffice and save it, so the results are stored", "formula_without_value")
                continue
            yield number, cells, None
    finally:
        workbook.close()
