"""Table files (CSV, Excel) read as the data contract: German column headers beside the contract's names, German
labels as codes ("Prävention", "Nordrhein-Westfalen"), lists split by |, ; or line breaks, dates as Excel dates or
text (2027-06-30 or 30.06.2027). A problem names the column as the file names it."""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, replace
from datetime import date, datetime

from ..core import COSTS, FIELDS, FORMATS, OFFER_TYPES, REGIONS, ROLES, MatcherInputError, Problem, code_for, label

# contract key -> German headers a spreadsheet may use instead (matched without case, spaces or hyphens)
OFFER_HEADERS = {
    "id": ("ID", "Nr", "Nr.", "Nummer", "Kennung"), "title": ("Titel", "Angebot", "Name"),
    "description": ("Beschreibung", "Inhalt"), "provider": ("Anbieter", "Träger", "Anbieterin"),
    "target_roles": ("Zielgruppen", "Zielgruppe", "Rollen"), "fields": ("Handlungsfelder", "Handlungsfeld"),
    "offer_type": ("Angebotsart", "Art", "Typ"), "format": ("Format",), "region": ("Bundesland", "Region"),
    "cost": ("Kosten",), "language": ("Sprache",), "url": ("Link", "URL", "Webseite", "Internetseite"),
    "valid_until": ("gültig bis", "Gültigkeit", "Ablaufdatum", "befristet bis"),
}
PROFILE_HEADERS = {
    "id": ("ID", "Nr", "Nr.", "Nummer", "Kennung"), "needs": ("Bedarf", "Bedarfe", "Anliegen", "Bedarf in eigenen Worten"),
    "role": ("Rolle",), "role_title": ("Funktion", "Stellenbezeichnung", "Berufsbezeichnung", "Tätigkeit"),
    "fields": ("Handlungsfelder", "Handlungsfeld"), "region": ("Bundesland", "Region"),
    "format_preference": ("Format", "Formatwunsch", "bevorzugtes Format"),
}
# contract key -> (taxonomy section, codes, a list of codes?)
CODED = {
    "target_roles": ("roles", ROLES, True), "role": ("roles", ROLES, False), "fields": ("fields", FIELDS, True),
    "offer_type": ("offer_types", OFFER_TYPES, False), "format": ("formats", FORMATS, False),
    "format_preference": ("formats", FORMATS, False), "region": ("states", REGIONS, False),
    "cost": ("costs", COSTS, False),
}
_LIST_SEPARATORS = re.compile(r"[|;,\n]")
# what a table says for an optional fact it does not know: read as empty ("k. A." is how the engine shows it)
_NOT_GIVEN = frozenset({"k.a.", "ka", "keineangabe", "unbekannt", "n.a.", "na", "-", "?"})
OPTIONAL_CODES = ("format", "cost")
_GERMAN_DATE = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})")


def _header_key(header: str) -> str:
    """'Gültig bis:' and 'gueltig_bis' alike: without case, spaces, hyphens, underscores, a trailing * or :."""
    folded = header.strip().rstrip("*: ").casefold()
    for umlaut, spelled in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss")):
        folded = folded.replace(umlaut, spelled)
    return re.sub(r"[\s_\-]", "", folded)


def _aliases(names: dict[str, tuple[str, ...]] | None) -> dict[str, str]:
    return {_header_key(alias): key for key, aliases in (names or {}).items() for alias in (key, *aliases)}


def header_count(names: dict[str, tuple[str, ...]] | None):
    """A function telling how many cells of a row name columns of `names`: the header row has several."""
    known = set(_aliases(names))
    return lambda cells: sum(bool(c) and _header_key(c) in known for c in cells)


def header_place(sheet: str | None) -> str:
    """Where a table's header is, for messages: "sheet 'Angebote'" or "CSV header"."""
    return f"sheet {sheet!r}" if sheet is not None else "CSV header"


@dataclass(frozen=True)
class Columns:
    """The header of one table file: which column holds which contract key."""

    key_of: dict[str, str]  # header as written -> contract key (unknown headers map to themselves)
    sheet: str | None = None

    @classmethod
    def read(cls, headers: list[str], names: dict[str, tuple[str, ...]] | None, sheet: str | None = None):
        """Raises ValueError naming both headers when two columns mean the same key."""
        table = _aliases(names)
        key_of, seen = {}, {}
        for header in headers:
            if not header:
                continue
            key = table.get(_header_key(header), header)
            if key in seen:
                raise ValueError(f"columns {seen[key]!r} and {header!r} both mean {key!r}")
            key_of[header], seen[key] = key, header
        return cls(key_of, sheet)

    @property
    def keys(self) -> set[str]:
        return set(self.key_of.values())

    @property
    def where(self) -> str:
        return header_place(self.sheet)

    def header_of(self, key: str) -> str:
        return next((h for h, k in self.key_of.items() if k == key), key)

    def lacking(self, required: tuple[str, ...], names: dict[str, tuple[str, ...]]) -> list[str]:
        """Each required key without a column, with its German header and the header the file most likely meant."""
        unknown = [h for h, k in self.key_of.items() if h == k and k not in names]
        out = []
        for key in (k for k in required if k not in self.keys):
            german = names.get(key, ())[:1]
            text = f"{key} ({german[0]!r})" if german else key
            near = difflib.get_close_matches(_header_key(german[0] if german else key),
                                             [_header_key(h) for h in unknown], n=1, cutoff=0.75)
            if near:
                text += f" - did you mean the column {next(h for h in unknown if _header_key(h) == near[0])!r}?"
            out.append(text)
        return out

    def record(self, cells: dict) -> dict:
        """The contract's raw record of one row: keys renamed, labels read as codes, lists split, dates as text."""
        return {self.key_of[h]: _value(self.key_of[h], v) for h, v in cells.items() if h in self.key_of}

    def located(self, problem: Problem) -> Problem:
        """The problem with its column named as the file names it, the sheet of an Excel file, and a suggested
        code spelt as its German label where the file is German (a workbook, German headers)."""
        loc, msg = problem.loc, problem.msg
        if len(loc) > 1 and isinstance(loc[1], str):
            german = self.sheet is not None or self.header_of(loc[1]) != loc[1]
            if german and loc[1] in CODED and problem.type == "unknown_code":
                kind = CODED[loc[1]][0]
                msg = _SUGGESTED.sub(lambda m: f"did you mean {_label(kind, m.group(1))!r}?", msg)
            loc = (loc[0], self.header_of(loc[1]), *loc[2:])
        return replace(problem, loc=loc, msg=msg, sheet=self.sheet)


_SUGGESTED = re.compile(r"did you mean '([^']+)'\?")


def _label(kind: str, code: str) -> str:
    try:
        return label(kind, code)
    except KeyError:
        return code


def _value(key: str, value):
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # Excel stores every number as a float: 12 comes back as 12.0
    if isinstance(value, (int, float)) and not isinstance(value, bool) and key != "id":
        value = str(value)
    if not isinstance(value, str):
        return value
    if key in OPTIONAL_CODES and value.strip().casefold().replace(" ", "") in _NOT_GIVEN:
        return None
    if key in CODED:
        kind, codes, many = CODED[key]
        if many:
            return [code_for(v, kind, codes) or v.strip() for v in _LIST_SEPARATORS.split(value) if v.strip()]
        return code_for(value, kind, codes) or value
    if key == "valid_until" and (german := _GERMAN_DATE.fullmatch(value.strip())):
        day, month, year = map(int, german.groups())
        try:
            return date(year, month, day).isoformat()
        except ValueError:
            return value  # 31.02.2027: the date check reports it as written
    return value


# the one error of a file as a whole (missing, empty, not a workbook, a bad header): one sentence, no line.

def file_error(msg: str, type_: str) -> MatcherInputError:
    return MatcherInputError([Problem((), msg, type_)])
