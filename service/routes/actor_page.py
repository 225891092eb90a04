"""The German page for actors: a GET form, so a result list can be bookmarked and shared."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from matcher import FIELDS, ROLES, STATES, limits
from matcher.core import FORMATS

from ..deps import RecommenderDep, RecorderDep, SettingsDep
from ..forms import person_search, read_person_form, templates, title_suggestions

router = APIRouter(include_in_schema=False)


def save_options(request: Request, settings) -> dict:
    """What the form to save a search needs: whether searches can be saved here, and for how long."""
    return {"can_save": request.app.state.searches is not None, "retention_days": settings.searches_retention_days}


@router.get("/", response_class=HTMLResponse)
def actor_page(request: Request, recommender: RecommenderDep, demand: RecorderDep, settings: SettingsDep,
               titel: Annotated[str, Query(max_length=limits.MAX_ROLE_TITLE_CHARS * 2)] = "",
               bedarf: Annotated[str, Query(max_length=limits.MAX_NEEDS_CHARS * 2)] = "",
               feld: Annotated[list[str], Query(max_length=50)] = [],  # noqa: B006 (FastAPI reads it)
               land: Annotated[str, Query(max_length=20)] = "",
               format: Annotated[str, Query(max_length=20)] = "",
               rolle: Annotated[str, Query(max_length=40)] = "",
               vermerkt: Annotated[str, Query(max_length=200)] = ""):
    form = {"titel": titel, "bedarf": bedarf, "feld": feld, "land": land, "format": format, "rolle": rolle}
    context = {"form": form, "roles": ROLES, "fields": FIELDS, "states": STATES, "formats": FORMATS,
               "suggestions": title_suggestions(), "limits": limits, "result": None, "errors": [],
               "noted": vermerkt, "can_feedback": request.app.state.feedback is not None,
               "search": person_search(form), **save_options(request, settings)}
    if bedarf.strip() or titel.strip():
        profile, context["errors"] = read_person_form(form)
        if profile is not None:
            context["result"] = result = recommender.recommend(profile, limits.DEFAULT_TOP_K)
            if not vermerkt:  # back from a verdict: the same list again, not a new request
                demand.person(result, profile)
    status = 422 if context["errors"] else 200
    return templates.TemplateResponse(request, "index.html", context, status_code=status)
