"""The German web page for actors: a GET form, so a result list can be bookmarked and shared."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from matcher import MatcherInputError, limits, parse_profile
from matcher.explain import render
from matcher.taxonomy import FIELDS, FORMATS, ROLES, STATES, label, taxonomy

from ..deps import RecommenderDep

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=Path(__file__).resolve().parent.parent / "templates")
templates.env.globals.update(label=label, render_reason=render, taxonomy=taxonomy)

FIELD_LABELS = {"needs": "Was brauchen Sie?", "role_title": "Berufsbezeichnung", "region": "Bundesland",
                "fields": "Handlungsfelder", "format_preference": "Format", "role": "Rolle", "top_k": "Anzahl"}
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
        out.append({"field": key, "label": FIELD_LABELS[key], "message": message})
    return out


def title_suggestions() -> list[str]:
    return sorted({s for entry in taxonomy()["roles"].values() for s in entry["synonyms"]})


@router.get("/", response_class=HTMLResponse)
def actor_page(request: Request, recommender: RecommenderDep,
               titel: Annotated[str, Query(max_length=limits.MAX_ROLE_TITLE_CHARS * 2)] = "",
               bedarf: Annotated[str, Query(max_length=limits.MAX_NEEDS_CHARS * 2)] = "",
               feld: Annotated[list[str], Query(max_length=50)] = [],  # noqa: B006 (FastAPI reads it)
               land: Annotated[str, Query(max_length=20)] = "",
               format: Annotated[str, Query(max_length=20)] = "",
               rolle: Annotated[str, Query(max_length=40)] = ""):
    form = {"titel": titel, "bedarf": bedarf, "feld": feld, "land": land, "format": format, "rolle": rolle}
    context = {"form": form, "roles": ROLES, "fields": FIELDS, "states": STATES, "formats": FORMATS,
               "suggestions": title_suggestions(), "limits": limits, "result": None, "errors": []}
    if bedarf.strip() or titel.strip():
        raw = {"role_title": titel or None, "needs": bedarf, "fields": feld, "region": land or None,
               "format_preference": format or None, "role": rolle or None}
        try:
            context["result"] = recommender.recommend(parse_profile(raw), limits.DEFAULT_TOP_K)
        except MatcherInputError as exc:
            context["errors"] = german_errors(exc.problems)
    status = 422 if context["errors"] else 200
    return templates.TemplateResponse(request, "index.html", context, status_code=status)
