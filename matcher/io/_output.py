"""Output files written whole or not at all, as JSON Lines, CSV or Excel, and cells that spreadsheets do not run
as formulas."""
from __future__ import annotations

import csv
import os
import re
import tempfile
from contextlib import contextmanager
from pathlib import Path

from ..core import ArgumentError, Problem


def safe_cell(value):
    """A CSV cell that spreadsheet programs do not run as a formula (=, +, -, @ at the start); numbers stay."""
    if isinstance(value, (int, float)):
        return value
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def is_csv(path: str | Path) -> bool:
    return Path(path).suffix.lower() in (".csv", ".tsv")


def is_xlsx(path: str | Path) -> bool:
    return Path(path).suffix.lower() == ".xlsx"


def is_table(path: str | Path) -> bool:
    """An output of rows and columns (CSV or Excel), not JSON Lines."""
    return is_csv(path) or is_xlsx(path)


@contextmanager
def atomic_output(out_path: str | Path, columns: tuple[str, ...], sheet: str = "Ergebnisse", binary: bool = False,
                  private: bool = False):
    """(file, csv writer or None): JSON Lines, or for .csv semicolon-separated UTF-8 with BOM as Excel reads it;
    for .xlsx the same rows, turned into a workbook (one sheet, header frozen, filters on) when the block ends.
    binary: (binary file, None), written as it is. private: readable by its owner only (a secret inside).

    The target is replaced only when the block completes; on any error it is left as it was.
    """
    out_path = Path(out_path)
    as_csv = is_table(out_path) and not binary
    try:
        if out_path.is_dir():
            raise IsADirectoryError(21, "is a directory")
        out_path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{out_path.name}.", dir=out_path.parent)
    except OSError as exc:
        raise ArgumentError([Problem(("out",), f"cannot write {str(out_path)!r}: {exc.strerror}",
                                         "unwritable")]) from None
    if not private:
        os.chmod(tmp, 0o644)  # mkstemp makes files only their owner may read
    try:
        with (os.fdopen(fd, "wb") if binary else
              os.fdopen(fd, "w", encoding="utf-8-sig" if as_csv else "utf-8", newline="")) as out:
            writer = csv.writer(out, delimiter=";") if as_csv else None
            if writer:
                writer.writerow(columns)
            yield out, writer
        if as_csv and is_xlsx(out_path):
            _csv_to_xlsx(Path(tmp), sheet)
        os.replace(tmp, out_path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


_NUMBER = re.compile(r"-?\d+(\.\d+)?([eE]-?\d+)?")


def _xlsx_cell(sheet, column: str, text: str):
    """A typed cell: numbers as numbers (not in id columns: '007' stays text), text never run as a formula."""
    from openpyxl.cell import WriteOnlyCell
    if _NUMBER.fullmatch(text) and column != "id" and not column.endswith("_id"):
        return float(text) if any(c in text for c in ".eE") else int(text)
    cell = WriteOnlyCell(sheet, value=text[1:] if text[:1] == "'" and text[1:2] in ("=", "+", "-", "@", "\t", "\r")
                         else text)
    cell.data_type = "s"  # a string, whatever it starts with
    return cell


def _csv_to_xlsx(path: Path, title: str) -> None:
    """Replace the CSV file at `path` by a workbook of the same rows, streamed (write-only mode)."""
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title)
    sheet.freeze_panes = "A2"
    with open(path, encoding="utf-8-sig", newline="") as f:
        rows = csv.reader(f, delimiter=";")
        header = next(rows, [])
        sheet.append(header)
        width, count = len(header), 1
        for cells in rows:
            sheet.append([_xlsx_cell(sheet, header[i] if i < len(header) else "", v) for i, v in enumerate(cells)])
            width, count = max(width, len(cells)), count + 1
    if width:
        sheet.auto_filter.ref = f"A1:{get_column_letter(width)}{count}"
    workbook.save(path)
