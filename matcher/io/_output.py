"""Results out: atomic output files (JSON Lines, CSV, Excel), the wire dicts that batch files,
`recommend --json` and the HTTP answers share (the README's contract), and the German table for the terminal."""
from __future__ import annotations

import csv
import os
import re
import shutil
import tempfile
import textwrap
from contextlib import contextmanager
from pathlib import Path

from ..core import ArgumentError, Offer, Problem, label, taxonomy
from ..ranking import Result, render
from ..teams import GroupResult


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


# Wire dicts: results as the plain records that batch files, `recommend --json` and the HTTP answers share
# (the README's contract).

OFFER_SUMMARY = ("title", "provider", "offer_type", "format", "region", "cost", "url", "valid_until")


def offer_summary(offer: Offer) -> dict:
    """What a list shows of an offer beside its id (dates as ISO text)."""
    full = offer.to_dict()
    return {k: full[k] for k in OFFER_SUMMARY}


def result_to_dict(result: Result) -> dict:
    """The batch output record of one profile, as the README documents it."""
    return {
        "profile_id": result.profile_id,
        "interpreted": {k: v for k, v in result.interpreted.to_dict().items() if k in ("role", "role_confidence",
                                                                                     "fields", "roles")},
        "recommendations": [{"offer_id": r.offer_id, "rank": r.rank, "score": r.score,
                             "reasons": [render(x) for x in r.reasons]} for r in result.recommendations],
    }


def group_result_to_dict(result: GroupResult) -> dict:
    """The batch output record of one team: per offer the team reasons and the members it serves."""
    return {
        "group_id": result.group_id,
        "members": [{"member_id": mid, "role": it.role, "role_confidence": it.role_confidence,
                     "fields": list(it.fields)} for mid, it in result.members],
        "recommendations": [{
            "offer_id": r.offer_id, "rank": r.rank, "score": r.score, "reasons": [render(x) for x in r.reasons],
            "members": list(r.served),
            "member_reasons": {m.member_id: [render(x) for x in m.reasons] for m in r.members if m.may_attend},
        } for r in result.recommendations],
    }


# A recommendation list as a readable German text table for the terminal.

def describe_reading(result: Result) -> str:
    it = result.interpreted
    if it.role is None:
        who = "Rolle nicht sicher erkannt (keine Rollengewichtung)"
    elif len(it.roles) > 1:
        labels = " und ".join(taxonomy()["roles"][r]["label"] for r in it.roles)
        who = f"{labels} (Sicherheit {it.role_confidence:.0%})"
    else:
        who = f"{taxonomy()['roles'][it.role]['read_as']} (Sicherheit {it.role_confidence:.0%})"
    how = "angegeben" if it.field_source == "given" else "aus Ihrem Anliegen abgeleitet"
    fields = ", ".join(label("fields", f) for f in it.fields) or "–"
    return f"So haben wir Sie eingeordnet: {who}; Handlungsfelder: {fields} ({how})"


def render_result(result: Result) -> str:
    width = min(shutil.get_terminal_size((100, 20)).columns, 110)
    lines = [textwrap.fill(describe_reading(result), width), ""]
    if not result.recommendations:
        lines.append("Keine passenden Angebote gefunden (Region und Fristen werden streng beachtet).")
    for rec in result.recommendations:
        o = rec.offer
        facts = [o.provider, label("offer_types", o.offer_type), label("formats", o.format),
                 label("states", o.region), label("costs", o.cost)]
        if o.valid_until:
            facts.append(f"Frist {o.valid_until.strftime('%d.%m.%Y')}")
        lines.append(textwrap.fill(f"{rec.rank:>2}. {o.title}  [{rec.score:.2f}]", width, subsequent_indent="    "))
        lines.append(textwrap.fill(" · ".join(facts), width, initial_indent="    ", subsequent_indent="    "))
        for reason in rec.reasons:
            lines.append(textwrap.fill(render(reason), width, initial_indent="    – ", subsequent_indent="      "))
        if o.url:
            lines.append(f"    {o.url}")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"
