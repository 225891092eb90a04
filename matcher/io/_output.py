"""Output files written whole or not at all, and CSV cells that spreadsheets do not run as formulas."""
from __future__ import annotations

import csv
import os
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


@contextmanager
def atomic_output(out_path: str | Path, columns: tuple[str, ...]):
    """(file, csv writer or None): JSON Lines, or for .csv semicolon-separated UTF-8 with BOM as Excel reads it.

    The target is replaced only when the block completes; on any error it is left as it was.
    """
    out_path = Path(out_path)
    as_csv = is_csv(out_path)
    try:
        if out_path.is_dir():
            raise IsADirectoryError(21, "is a directory")
        out_path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{out_path.name}.", dir=out_path.parent)
    except OSError as exc:
        raise ArgumentError([Problem(("out",), f"cannot write {str(out_path)!r}: {exc.strerror}",
                                         "unwritable")]) from None
    os.chmod(tmp, 0o644)  # mkstemp makes files only their owner may read
    try:
        with os.fdopen(fd, "w", encoding="utf-8-sig" if as_csv else "utf-8", newline="") as out:
            writer = csv.writer(out, delimiter=";") if as_csv else None
            if writer:
                writer.writerow(columns)
            yield out, writer
        os.replace(tmp, out_path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
