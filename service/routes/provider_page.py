"""The German page for providers and coordinating bodies: underserved roles per field, and one's own portfolio."""
from __future__ import annotations

from functools import lru_cache
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from matcher import FIELDS, ROLES, STATES
from matcher.core import taxonomy
from matcher.coverage import INDICATIVE_RULE, coverage_report
from matcher.io import template_bytes

from ..deps import DemandDep, ModelDep, ResponsesDep
from ..forms import MESSAGES, find_portfolio, templates

router = APIRouter(include_in_schema=False)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@lru_cache(maxsize=1)
def _template() -> bytes:
    return template_bytes()  # the same for every request: made once


@router.get("/vorlage/angebote.xlsx")
def catalog_template() -> Response:
    return Response(_template(), media_type=XLSX,
                    headers={"Content-Disposition": 'attachment; filename="angebote.xlsx"'})


@router.get("/anbieter", response_class=HTMLResponse)
def provider_page(request: Request, model: ModelDep, demand: DemandDep, responses: ResponsesDep,
                  feld: Annotated[str, Query(max_length=40)] = "",
                  land: Annotated[str, Query(max_length=20)] = "",
                  anbieter: Annotated[str, Query(max_length=500)] = ""):
    records, sources = demand
    errors = []
    if feld and feld not in FIELDS:
        errors.append({"label": "Handlungsfeld", "anchor": "feld", "message": MESSAGES["unknown_code"]})
    if land and land not in STATES:
        errors.append({"label": "Bundesland", "anchor": "land", "message": MESSAGES["unknown_code"]})
    report = coverage_report(model.offers, records, fields=[feld] if feld in FIELDS else None,
                             region=land if land in STATES else None, demand_sources=sources)
    found = find_portfolio(model.offers, anbieter, report, responses) if anbieter.strip() else None
    if anbieter.strip() and found is None:
        errors.append({"label": "Anbieter", "anchor": "anbieter",
                       "message": "Diesen Anbieter kennen wir nicht; bitte wählen Sie einen Namen aus der Liste."})
    roles = taxonomy()["roles"]
    context = {"form": {"feld": feld, "land": land, "anbieter": anbieter}, "report": report, "portfolio": found,
               "errors": errors, "sources": sources, "fields": FIELDS, "states": STATES, "roles": ROLES,
               "role_labels": {r: roles[r]["label"] for r in ROLES}, "pct": lambda x: f"{round(x * 100)} %",
               "indicative_rule": INDICATIVE_RULE,
               "providers": sorted({o.provider for o in model.offers})}
    return templates.TemplateResponse(request, "anbieter.html", context, status_code=422 if errors else 200)
