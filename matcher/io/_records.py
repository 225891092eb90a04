"""Streaming record files: JSON Lines, CSV (comma, semicolon or tab; UTF-8 with or without BOM) or Excel
(.xlsx).

Files are read line by line (row by row), so a file of any length is read in flat memory. A problem with the file as a
whole (missing, empty, binary, wrong encoding, bad header) raises MatcherInputError with one sentence (file_error);
a problem with one record is yielded with its line number, and reading goes on."""
from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ..core import Problem
from ._columns import Columns, file_error, header_count, header_place
from ._xlsx import is_workbook, xlsx_records


# Streaming record files: JSON Lines, CSV (comma, semicolon or tab; UTF-8 with or without BOM) or Excel (.xlsx).
#
# Files are read line by line (row by row), so a file of any length is read in flat memory. A problem with the file as a
# whole (missing, empty, binary, wrong encoding, bad header) raises MatcherInputError with one sentence;
# a problem with one record is yielded with its line number, and reading goes on.

_PEEK = 65536
csv.field_size_limit(16 * 1024 * 1024)  # long descriptions are fine; the checks on each field set the limits


def _check_start(path: Path, head: bytes) -> None:
    name = str(path)
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise file_error(f"file {name!r} is UTF-16 (Excel 'Unicode-Text'); save it as 'CSV UTF-8' instead",
                         "wrong_encoding")
    if b"\x00" in head[:8192]:
        raise file_error(f"file {name!r} is a binary file, not JSON Lines or CSV text", "binary_file")
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:  # not merely a character cut at the end of the peek
            line = head[: exc.start].count(b"\n") + 1
            raise file_error(
                f"file {name!r} is not UTF-8 (byte 0x{head[exc.start]:02x} on line {line}; it looks like "
                "Windows-1252 as older Excel writes it); save it as 'CSV UTF-8' or convert it with "
                "'iconv -f cp1252 -t utf-8'", "wrong_encoding") from None
    if not head.lstrip(b"\xef\xbb\xbf \t\r\n"):
        raise file_error(f"file {name!r} is empty", "empty_file")


_LONE_CR = re.compile(rb"\r(?!\n)")


def _lines(path: Path) -> Iterator[tuple[int, str | None]]:
    """(line number, text) per line, also for old Mac files that end lines with CR alone; None if not UTF-8."""
    number = 0
    with open(path, "rb") as f:
        for chunk in f:
            if number == 0:
                chunk = chunk.removeprefix(b"\xef\xbb\xbf")
            for raw in _LONE_CR.sub(b"\r\n", chunk).splitlines(keepends=True) if b"\r" in chunk else (chunk,):
                number += 1
                try:
                    yield number, raw.decode("utf-8")
                except UnicodeDecodeError:
                    yield number, None


@dataclass
class Records:
    """The records of one file: iterate for (line or row, raw record, None) or (line, None, problem)."""

    kind: str  # "jsonl", "csv" or "xlsx"
    rows: Iterator[tuple[int, dict | None, Problem | None]]
    columns: Columns | None = None  # the header of a table file

    def __iter__(self):
        return self.rows

    def located(self, problem: Problem) -> Problem:
        """A problem of a record, with its column named as the file names it (and the sheet of a workbook)."""
        return self.columns.located(problem) if self.columns else problem


def open_records(path: str | Path, *, sheet: str | None = None,
                 names: dict[str, tuple[str, ...]] | None = None) -> Records:
    """The records of a file, with the keys of the data contract: the columns of a table file are read by
    `names` (contract key -> German headers), their labels as codes.

    The file-level checks run before this returns, so a caller can report them before any record.
    """
    path = Path(path)
    try:
        with open(path, "rb") as f:
            head = f.read(_PEEK)
    except FileNotFoundError:
        raise file_error(f"file {str(path)!r} does not exist", "file_missing") from None
    except IsADirectoryError:
        raise file_error(f"{str(path)!r} is a directory, not a file", "file_unreadable") from None
    except OSError as exc:
        raise file_error(f"file {str(path)!r} cannot be read: {exc.strerror}", "file_unreadable") from None
    if is_workbook(path, head):
        if not head:
            raise file_error(f"file {str(path)!r} is empty", "empty_file")
        title, headers, rows = xlsx_records(path, head, sheet, header_count(names))
        return _table("xlsx", headers, rows, names, title)
    if sheet is not None:
        raise file_error(f"--sheet {sheet!r} given, but {str(path)!r} is not an Excel workbook", "wrong_format")
    _check_start(path, head)
    text = head.decode("utf-8", errors="ignore").lstrip("\ufeff")
    if _is_jsonl(path, text):
        if _one_json_array(text):
            raise file_error("file is one JSON array; expected JSON Lines (one JSON object per line)",
                             "wrong_format")
        return Records("jsonl", _jsonl_records(path))
    header = next((line for line in text.splitlines() if line.strip()), "")
    return _table("csv", csv_columns(path), _csv_records(path, _delimiter(header)), names)


def _table(kind: str, headers: list[str], rows, names, sheet: str | None = None) -> Records:
    try:
        columns = Columns.read(headers, names, sheet)
    except ValueError as exc:
        raise file_error(f"{header_place(sheet)}: {exc}", "wrong_format") from None

    def contract_rows():
        for line, raw, problem in rows:
            yield (line, None, columns.located(problem)) if problem else (line, columns.record(raw), None)
    return Records(kind, contract_rows(), columns)


def _one_json_array(text: str) -> bool:
    """The file is a JSON array of records (over several lines, or all on one line): not JSON Lines.

    A first line that is an array of its own, followed by more lines, is one bad record: the good lines count.
    """
    first, _, rest = text.lstrip().partition("\n")
    if not first.startswith("["):
        return False
    try:
        json.loads(first)
    except ValueError:
        return True
    return not rest.strip()


def _is_jsonl(path: Path, text: str) -> bool:
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson", ".json"):
        return True
    if suffix in (".csv", ".tsv", ".txt"):
        return False
    return text.lstrip().startswith("{")


def _not_utf8(number: int) -> Problem:
    return Problem((number,), "line is not UTF-8 (Windows-1252?); save the file as UTF-8", "wrong_encoding")


def _jsonl_records(path: Path):
    for number, line in _lines(path):
        if line is None:
            yield number, None, _not_utf8(number)
            continue
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            yield number, None, Problem((number,), f"invalid JSON: {exc.msg} at column {exc.colno}", "invalid_json")
            continue
        except (RecursionError, ValueError) as exc:  # nested too deep, numbers too long
            yield number, None, Problem((number,), f"invalid JSON: {type(exc).__name__}", "invalid_json")
            continue
        if not isinstance(record, dict):
            yield number, None, Problem((number,), f"expected a JSON object, got {type(record).__name__}",
                                        "wrong_type")
            continue
        yield number, record, None


def _delimiter(header: str) -> str:
    return max((";", ",", "\t"), key=header.count)


def csv_columns(path: str | Path) -> list[str]:
    """The header cells of a CSV file (its first non-blank line), stripped."""
    for _, line in _lines(Path(path)):
        if line is not None and line.strip():
            return [c.strip() for c in next(csv.reader([line], delimiter=_delimiter(line)))]
    return []


def _csv_records(path: Path, delimiter: str):
    bad_lines: list[int] = []

    def text_lines():
        for number, line in _lines(path):
            if line is None:
                bad_lines.append(number)
                line = "\n"
            yield line

    reader = csv.reader(text_lines(), delimiter=delimiter)
    columns: list[str] = []
    while not any(columns):  # Excel may leave blank lines above the header
        try:
            columns = [c.strip() for c in next(reader)]
        except StopIteration:
            return
    named = [c for c in columns if c]
    if len(set(named)) != len(named):
        raise file_error(f"CSV header names a column twice: {named}", "wrong_format")
    start = reader.line_num + 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:  # e.g. a cell beyond the field size limit: the rest cannot be trusted
            yield start, None, Problem((start,), f"CSV cannot be read from here on: {exc}", "invalid_csv")
            return
        line, start = start, reader.line_num + 1
        if bad_lines:
            bad_lines.clear()
            yield line, None, _not_utf8(line)
            continue
        if not any(c.strip() for c in cells):
            continue
        if not _fits(cells, columns):
            yield line, None, Problem((line,), f"row has {len(cells)} cells, the header has {len(columns)}",
                                      "wrong_cell_count")
            continue
        yield line, {c: v for c, v in zip(columns, cells) if c}, None


def _fits(cells: list[str], columns: list[str]) -> bool:
    """Same number of cells as columns, give or take empty cells where the header is empty (as Excel writes)."""
    if len(cells) >= len(columns):
        return not any(c.strip() for c in cells[len(columns):])
    return not any(columns[len(cells):])
