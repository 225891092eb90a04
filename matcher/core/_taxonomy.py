"""The controlled vocabulary: role, field, state and offer codes with German labels and synonyms."""
from __future__ import annotations

import difflib
import json
import os
from functools import lru_cache
from pathlib import Path

# the library's data ships inside the package; KOMMUNE_MATCHER_DATA points at a folder of one's own
DATA_DIR = Path(os.environ.get("KOMMUNE_MATCHER_DATA", Path(__file__).resolve().parent / "data"))

# The codes are stable API (README: data contract); taxonomy.json must provide labels for exactly these.
ROLES = ("fachkraft", "verwaltung", "planung", "leitung", "politik", "koordination", "zivilgesellschaft")
FIELDS = ("praevention", "beteiligung", "bildung", "gesundheit", "integration", "kinder_jugend",
          "demokratie", "sozialraum", "digitalisierung", "klima")
STATES = ("BW", "BY", "BE", "BB", "HB", "HH", "HE", "MV", "NI", "NW", "RP", "SL", "SN", "ST", "SH", "TH")
REGIONS = ("bund", *STATES)
OFFER_TYPES = ("fortbildung", "beratung", "netzwerk", "arbeitshilfe", "foerderung", "austausch", "veranstaltung")
FORMATS = ("praesenz", "online", "hybrid")
COSTS = ("kostenfrei", "kostenpflichtig")
PLANNING_SIDE = ("planung", "verwaltung", "politik", "leitung")


@lru_cache(maxsize=1)
def taxonomy() -> dict:
    """The parsed taxonomy file (labels, synonyms, aliases)."""
    with open(DATA_DIR / "taxonomy.json", encoding="utf-8") as f:
        data = json.load(f)
    for section, codes in (("roles", ROLES), ("fields", FIELDS), ("states", STATES)):
        missing = set(codes) - set(data[section])
        if missing:
            raise ValueError(f"taxonomy.json lacks {section} {sorted(missing)}")
    return data


UNKNOWN_LABEL = "k. A."  # keine Angabe: an optional fact the provider did not give


def label(kind: str, code: str | None) -> str:
    """German label of a code, e.g. label("fields", "praevention") == "Prävention"; 'bund' is 'bundesweit';
    an optional fact that was not given (None) is "k. A."."""
    if code is None:
        return UNKNOWN_LABEL
    if kind == "states" and code == "bund":
        return "bundesweit"
    return taxonomy()[kind][code]["label"]


def german_count(n: int, one: str, many: str) -> str:
    """A number with the German noun it counts: "1 Anfrage", "3 Anfragen" (german_count(n, "Anfrage", "Anfragen"))."""
    return f"{n} {one if n == 1 else many}"


def _fold(text: str) -> str:
    return (text.strip().lower().replace("ä", "ae").replace("ö", "oe").replace("ü", "ue")
            .replace("ß", "ss").replace("-", "").replace(" ", "").replace("_", ""))


@lru_cache(maxsize=None)
def _alias_table(kind: str, codes: tuple[str, ...]) -> dict[str, str]:
    """Folded spelling -> code, from codes, labels and aliases of the taxonomy."""
    table = {_fold(code): code for code in codes}
    if "bund" in codes:
        table.update(bundesweit="bund", deutschlandweit="bund")
    section = taxonomy().get(kind, {})
    for code in codes:
        entry = section.get(code, {})
        for alias in [entry.get("label", ""), entry.get("plural", "")] + entry.get("aliases", []):
            if alias:
                table.setdefault(_fold(alias), code)
    return table


def code_for(value: str, kind: str, codes: tuple[str, ...]) -> str | None:
    """The code a spelling names exactly: the code, its German label or an alias ("Prävention", "NRW",
    "Fachkräfte", "bundesweit"), in any case; None otherwise (then `suggest` may offer a near miss)."""
    return _alias_table(kind, codes).get(_fold(str(value)))


def suggest(value: str, kind: str, codes: tuple[str, ...]) -> str | None:
    """The code a near-miss most likely meant ("NRW" -> "NW", "praevenzion" -> "praevention"), or None."""
    folded = _fold(str(value))
    table = _alias_table(kind, codes)
    if folded in table:
        return table[folded]
    close = difflib.get_close_matches(folded, list(table), n=1, cutoff=0.75)
    return table[close[0]] if close else None
