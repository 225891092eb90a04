"""The Excel template for a catalog: the German headers the readers accept, dropdowns of the German labels for
every coded column, and a hint on each column; `read_catalog` reads a filled-in copy as it is."""
from __future__ import annotations

import io
from pathlib import Path

from ..core import COSTS, FIELDS, FORMATS, OFFER_TYPES, REGIONS, ROLES, label
from ._columns import OFFER_HEADERS, OPTIONAL_CODES
from ._output import atomic_output

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
