"""Excel: reading the rows of a workbook's sheet, and writing the catalog template (German headers,
dropdowns)."""
from __future__ import annotations

import difflib
import io
import zipfile
from collections.abc import Iterator
from pathlib import Path
from xml.etree.ElementTree import iterparse

from ..core import COSTS, FIELDS, FORMATS, OFFER_TYPES, REGIONS, ROLES, Problem, label
from ._columns import OFFER_HEADERS, OPTIONAL_CODES, file_error
from ._output import atomic_output


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


# The Excel template for a catalog: the German headers the readers accept, dropdowns of the German labels for
# every coded column, and a hint on each column; `read_catalog` reads a filled-in copy as it is.

TEMPLATE_ROWS = 2000  # rows that carry the dropdowns
_SECTION = {"roles": ROLES, "fields": FIELDS, "offer_types": OFFER_TYPES, "formats": FORMATS, "states": REGIONS,
            "costs": COSTS}
# (contract key, taxonomy section of its dropdown or None, hint shown when a cell of the column is selected)
COLUMNS = (
    ("id", None, "Eindeutige Kennung des Angebots, z. B. A-2027-01. Pflichtfeld."),
    ("title", None, "Titel des Angebots. Pflichtfeld."),
    ("description", None, "Worum es geht, für wen, was man mitnimmt: in ganzen Sätzen. Pflichtfeld."),
    ("provider", None, "Name des Anbieters, immer gleich geschrieben. Pflichtfeld."),
    ("target_roles", "roles", "Für wen? Eine oder mehrere Zielgruppen, getrennt durch | oder Zeilenumbruch. Leer "
                              "lassen, wenn das Angebot allen offensteht."),
    ("fields", "fields", "Ein oder mehrere Handlungsfelder, getrennt durch | oder Zeilenumbruch. Pflichtfeld."),
    ("offer_type", "offer_types", "Art des Angebots. Pflichtfeld."),
    ("format", "formats", "Präsenz, online oder hybrid. Leer lassen, wenn es nicht feststeht (k. A.)."),
    ("region", "states", "Bundesland, in dem das Angebot offensteht, oder bundesweit. Pflichtfeld."),
    ("cost", "costs", "kostenfrei oder kostenpflichtig. Leer lassen, wenn es nicht feststeht (k. A.)."),
    ("url", None, "Link zur Anmeldung oder Beschreibung, beginnt mit https://"),
    ("valid_until", None, "Letzter Tag, an dem das Angebot gilt (Datum, z. B. 30.06.2027). Leer: unbefristet."),
)
MANY = ("target_roles", "fields")  # a dropdown offers one label; several are typed with |


def _labels(section: str) -> list[str]:
    return [label(section, code) for code in _SECTION[section]]


def template_workbook():
    """The template as an openpyxl Workbook: sheet "Angebote" (headers, dropdowns, hints), "Hinweise", and the
    hidden sheet "Listen" the dropdowns draw on."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Angebote"
    lists = workbook.create_sheet("Listen")
    lists.sheet_state = "hidden"  # the readers skip hidden sheets; the dropdowns still read it
    for col, (key, section, hint) in enumerate(COLUMNS, start=1):
        letter = get_column_letter(col)
        cell = sheet.cell(row=1, column=col, value=OFFER_HEADERS[key][0])
        cell.font, cell.fill = Font(bold=True), PatternFill("solid", fgColor="DDE7F0")
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        sheet.column_dimensions[letter].width = 60 if key == "description" else 24
        cells = f"{letter}2:{letter}{TEMPLATE_ROWS + 1}"
        if section:
            values = _labels(section) + ([label(section, None)] if key in OPTIONAL_CODES else [])  # "k. A."
            lists.cell(row=1, column=col, value=OFFER_HEADERS[key][0])
            for row, value in enumerate(values, start=2):
                lists.cell(row=row, column=col, value=value)
            rule = DataValidation(type="list", formula1=f"Listen!${letter}$2:${letter}${len(values) + 1}",
                                  allow_blank=True, showErrorMessage=key not in MANY,
                                  errorTitle="Unbekannter Wert", error="Bitte einen Wert aus der Liste wählen.")
        elif key == "valid_until":
            rule = DataValidation(type="date", operator="greaterThan", formula1="36526", allow_blank=True,
                                  showErrorMessage=True, errorTitle="Kein Datum", error="Bitte ein Datum eingeben.")
        else:
            rule = DataValidation(allow_blank=True)
        rule.promptTitle, rule.prompt, rule.showInputMessage = OFFER_HEADERS[key][0], hint, True
        rule.add(cells)
        sheet.add_data_validation(rule)
        if key == "valid_until":
            sheet.column_dimensions[letter].number_format = "DD.MM.YYYY"  # a column style: no empty rows made
    sheet.freeze_panes = "A2"
    notes = workbook.create_sheet("Hinweise", 1)
    notes.column_dimensions["A"].width, notes.column_dimensions["B"].width = 22, 100
    notes.append(["Vorlage für Angebote", "Eine Zeile je Angebot im Blatt „Angebote“. Prüfen: "
                  "matcher validate angebote.xlsx"])
    for key, _, hint in COLUMNS:
        notes.append([OFFER_HEADERS[key][0], hint])
    notes["A1"].font = Font(bold=True)
    return workbook


def template_bytes() -> bytes:
    buffer = io.BytesIO()
    template_workbook().save(buffer)
    return buffer.getvalue()


def write_template(path: str | Path) -> Path:
    """Write the template atomically; the path should end in .xlsx."""
    with atomic_output(path, (), binary=True) as (out, _):
        out.write(template_bytes())
    return Path(path)
