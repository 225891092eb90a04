"""What the German pages share: templates, form values read into profiles, and problems as German messages
next to the form field they concern."""
from __future__ import annotations

from functools import lru_cache
from urllib.parse import parse_qs
from pathlib import Path

from fastapi.templating import Jinja2Templates
from jinja2 import ChoiceLoader, PackageLoader

from matcher import MatcherInputError, Profile, limits, parse_profile
from matcher.core import german_count, label, taxonomy
from matcher.coverage import CoverageReport, Portfolio, portfolio
from matcher.ranking import render

templates = Jinja2Templates(directory=Path(__file__).resolve().parent / "templates")
# the reports' pieces (the table of how offers were met) serve the pages too
templates.env.loader = ChoiceLoader([templates.env.loader, PackageLoader("matcher.coverage", "templates")])
templates.env.globals.update(label=label, render_reason=render, taxonomy=taxonomy, anzahl=german_count)

FIELD_LABELS = {"needs": "Was brauchen Sie?", "role_title": "Berufsbezeichnung", "region": "Bundesland",
                "fields": "Handlungsfelder", "format_preference": "Format", "role": "Rolle", "top_k": "Anzahl"}
_PAGE_IDS = {"role": "rolle", "top_k": "needs"}  # form element ids on the actor page, where they differ
MESSAGES = {
    "empty": "Bitte füllen Sie dieses Feld aus.",
    "missing": "Bitte füllen Sie dieses Feld aus.",
    "too_long": "Der Text ist zu lang.",
    "unknown_code": "Dieser Wert ist unbekannt; bitte wählen Sie aus der Liste.",
    "too_many": "Bitte wählen Sie weniger aus.",
}


def german_errors(problems) -> list[dict]:
    """Problems as German messages per form field; translated by type, never by parsing the English text."""
    out = []
    for p in problems:
        key = next((part for part in p.loc if isinstance(part, str) and part in FIELD_LABELS), "needs")
        message = MESSAGES.get(p.type, "Diese Eingabe können wir nicht verarbeiten.")
        if key == "needs" and p.type in ("empty", "missing"):
            message = "Bitte beschreiben Sie kurz, was Sie brauchen."
        elif p.type == "too_long":
            limit = {"needs": limits.MAX_NEEDS_CHARS, "role_title": limits.MAX_ROLE_TITLE_CHARS}.get(key)
            message = f"Der Text ist zu lang: höchstens {limit} Zeichen." if limit else message
        out.append({"field": key, "label": FIELD_LABELS[key], "message": message, "anchor": _PAGE_IDS.get(key, key)})
    return out


@lru_cache(maxsize=1)
def title_suggestions() -> list[str]:
    return sorted({s for entry in taxonomy()["roles"].values() for s in entry["synonyms"]})


def read_form(raw: dict) -> tuple[Profile | None, list[dict]]:
    """The profile a form describes, or None and the German errors per form field."""
    try:
        return parse_profile(raw), []
    except MatcherInputError as exc:
        return None, german_errors(exc.problems)


PERSON_FORM = ("titel", "bedarf", "land", "format", "rolle")  # the actor page's fields; "feld" may repeat


def posted_person(posted: dict[str, list[str]]) -> dict:
    """The actor page's form, as its query has it, from a posted body (saving a search, a verdict)."""
    return {**{name: posted.get(name, [""])[0] for name in PERSON_FORM}, "feld": posted.get("feld", [])}


def read_person_form(form: dict) -> tuple[Profile | None, list[dict]]:
    """The profile the actor page's form describes, or None and the German errors per form field."""
    return read_form({"role_title": form["titel"] or None, "needs": form["bedarf"], "fields": form["feld"],
                      "region": form["land"] or None, "format_preference": form["format"] or None,
                      "role": form["rolle"] or None})


def person_search(form: dict) -> list[tuple[str, str]]:
    """The actor page's query that shows this person's list, as (name, value) pairs."""
    return [*((name, form[name]) for name in PERSON_FORM), *(("feld", f) for f in form["feld"])]


def find_portfolio(offers, provider: str, report: CoverageReport, responses=None) -> Portfolio | None:
    """The provider's portfolio, or None when the catalog has no provider of that name."""
    try:
        return portfolio(list(offers), provider, report, responses=responses)
    except MatcherInputError:
        return None


async def posted_form(request) -> dict[str, list[str]]:
    """A urlencoded form body (read without a multipart library; the body limit of the middleware applies)."""
    body = (await request.body()).decode("utf-8", "replace")
    try:
        return parse_qs(body, keep_blank_values=True, max_num_fields=100)
    except ValueError:  # more fields than any form of ours has: read as an empty form, answered with its errors
        return {}
