"""The German web page for actors: a GET form, so a result list can be bookmarked and shared."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from matcher import MatcherInputError, limits, parse_profile
from matcher.explain import render
from matcher.coverage import coverage_report
from matcher.groups import MAX_MEMBERS, MIN_MEMBERS, recommend_group
from matcher.portfolio import portfolio
from matcher.taxonomy import FIELDS, FORMATS, ROLES, STATES, label, taxonomy

from ..deps import DemandDep, ModelDep, RecommenderDep

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=Path(__file__).resolve().parent.parent / "templates")
templates.env.globals.update(label=label, render_reason=render, taxonomy=taxonomy)

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


@router.get("/", response_class=HTMLResponse)
def actor_page(request: Request, recommender: RecommenderDep, demand: DemandDep,
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
            profile = parse_profile(raw)
        except MatcherInputError as exc:
            context["errors"] = german_errors(exc.problems)
        else:
            context["result"] = recommender.recommend(profile, limits.DEFAULT_TOP_K)
            demand(context["result"].interpreted, profile)
    status = 422 if context["errors"] else 200
    return templates.TemplateResponse(request, "index.html", context, status_code=status)


@router.get("/team", response_class=HTMLResponse)
def team_page(request: Request, model: ModelDep, demand: DemandDep,
              personen: Annotated[int, Query(ge=1, le=MAX_MEMBERS)] = 3,
              land: Annotated[str, Query(max_length=20)] = "",
              aktion: Annotated[str, Query(max_length=20)] = ""):
    """Members are added one by one: 'Weitere Person hinzufügen' resubmits the form with one more row."""
    params = request.query_params
    count = min(personen + (aktion == "hinzufuegen"), MAX_MEMBERS)
    members = [{"titel": params.get(f"titel{n}", "")[:limits.MAX_ROLE_TITLE_CHARS * 2],
                "bedarf": params.get(f"bedarf{n}", "")[:limits.MAX_NEEDS_CHARS * 2]} for n in range(1, count + 1)]
    context = {"form": {"members": members, "land": land}, "states": STATES, "suggestions": title_suggestions(),
               "limits": limits, "max_members": MAX_MEMBERS, "result": None, "errors": [], "names": {}}
    filled = [(n, m) for n, m in enumerate(members, start=1) if m["titel"].strip() or m["bedarf"].strip()]
    if aktion == "suchen":
        profiles, errors = [], []
        for n, m in filled:
            try:
                profiles.append(parse_profile({"id": f"person-{n}", "role_title": m["titel"] or None,
                                               "needs": m["bedarf"], "region": land or None}))
            except MatcherInputError as exc:
                errors += [_member_error(n, e) for e in german_errors(exc.problems)]
        if len(filled) < MIN_MEMBERS:
            errors.append({"field": "members", "label": "Team", "anchor": "titel1",
                           "message": f"Bitte tragen Sie mindestens {MIN_MEMBERS} Personen ein."})
        if errors:
            context["errors"] = errors
        else:
            result = recommend_group(model, profiles, limits.DEFAULT_TOP_K)
            for (_, interpreted), member in zip(result.members, profiles):
                demand(interpreted, member, kind="team")
            context["result"] = result
            context["names"] = {mid: _member_name(mid, it) for mid, it in result.members}
    status = 422 if context["errors"] else 200
    return templates.TemplateResponse(request, "team.html", context, status_code=status)


_ANCHORS = {"role_title": "titel", "needs": "bedarf"}


def _member_error(n: int, error: dict) -> dict:
    """A member's error points at that member's field; a region error at the team's Bundesland."""
    if error["field"] not in _ANCHORS:
        return {**error, "anchor": "land"}
    return {**error, "label": f"Person {n}, {error['label']}", "anchor": f"{_ANCHORS[error['field']]}{n}"}


def _member_name(member_id: str, interpreted) -> str:
    number = member_id.rsplit("-", 1)[-1]
    role = taxonomy()["roles"][interpreted.role]["label"] if interpreted.role else "Rolle offen"
    return f"Person {number} ({role})"


@router.get("/anbieter", response_class=HTMLResponse)
def provider_page(request: Request, model: ModelDep, demand: DemandDep,
                  feld: Annotated[str, Query(max_length=40)] = "",
                  land: Annotated[str, Query(max_length=20)] = "",
                  anbieter: Annotated[str, Query(max_length=500)] = ""):
    records, sources = demand.records()
    errors = []
    if feld and feld not in FIELDS:
        errors.append({"label": "Handlungsfeld", "anchor": "feld", "message": MESSAGES["unknown_code"]})
    if land and land not in STATES:
        errors.append({"label": "Bundesland", "anchor": "land", "message": MESSAGES["unknown_code"]})
    report = coverage_report(model.offers, records, fields=[feld] if feld in FIELDS else None,
                             region=land if land in STATES else None, demand_sources=sources)
    found = None
    if anbieter.strip():
        try:
            found = portfolio(list(model.offers), anbieter, report)
        except MatcherInputError:
            errors.append({"label": "Anbieter", "anchor": "anbieter",
                           "message": "Diesen Anbieter kennen wir nicht; bitte wählen Sie einen Namen aus der Liste."})
    roles = taxonomy()["roles"]
    context = {"form": {"feld": feld, "land": land, "anbieter": anbieter}, "report": report, "portfolio": found,
               "errors": errors, "sources": sources, "fields": FIELDS, "states": STATES, "roles": ROLES,
               "role_labels": {r: roles[r]["label"] for r in ROLES}, "pct": lambda x: f"{round(x * 100)} %",
               "providers": sorted({o.provider for o in model.offers})}
    return templates.TemplateResponse(request, "anbieter.html", context, status_code=422 if errors else 200)
