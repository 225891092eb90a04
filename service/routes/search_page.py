"""The German pages of a saved search: saving it from the actor page (on consent), its private page with the new
offers and the feed, and deleting it at once. Forms post urlencoded bodies (forms.posted_form)."""
from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse

from matcher import FIELDS, ROLES, STATES, limits
from matcher.alerts import describe, save_search
from matcher.core import FORMATS

from ..deps import RecommenderDep, SearchStoreDep, SettingsDep, get_search_store
from ..forms import posted_form, posted_person, read_person_form, templates, title_suggestions
from .actor_page import save_options
from .searches import PRIVATE, links

router = APIRouter(include_in_schema=False)
CONSENT = {"field": "einwilligung", "label": "Einwilligung", "anchor": "einwilligung",
           "message": "Bitte stimmen Sie zu, dass wir Ihre Suche speichern – sonst speichern wir nichts."}


@router.post("/suche", response_class=HTMLResponse)
async def save_search_page(request: Request, recommender: RecommenderDep, settings: SettingsDep):
    """Save the search of the actor page's result list; without the consent box ticked nothing is stored."""
    posted = await posted_form(request)
    form = posted_person(posted)
    profile, errors = read_person_form(form)
    if profile is not None and posted.get("einwilligung", [""])[0] == "ja":
        store = get_search_store(request)  # only now: without consent nothing needs the store
        search = await run_in_threadpool(save_search, store, recommender, profile, limits.DEFAULT_TOP_K)
        return RedirectResponse(links(request, search.token)["url"], status_code=303, headers=PRIVATE)
    result = None
    if profile is not None:  # the consent was missing: the same result list again, with the reason above it
        errors = [CONSENT]
        result = await run_in_threadpool(recommender.recommend, profile, limits.DEFAULT_TOP_K)
    context = {"form": form, "roles": ROLES, "fields": FIELDS, "states": STATES, "formats": FORMATS,
               "suggestions": title_suggestions(), "limits": limits, "result": result, "errors": errors,
               **save_options(request, settings)}
    return templates.TemplateResponse(request, "index.html", context, status_code=422)


def _page(request: Request, search, notices, status: int = 200, deleted: bool = False):
    context = {"search": search, "notices": notices, "deleted": deleted,
               "facts": describe(search) if search else [],
               "links": links(request, search.token) if search else None}
    return templates.TemplateResponse(request, "suche.html", context, status_code=status, headers=PRIVATE)


@router.get("/suche/{token}", response_class=HTMLResponse, name="search_page")
def search_page(token: str, request: Request, store: SearchStoreDep):
    """The private page of a saved search; an unknown token gets the same German 404 page as a deleted one."""
    search = store.find(token)
    if search is None:
        return _page(request, None, [], 404)
    return _page(request, search, store.notices(search.id))


@router.post("/suche/{token}/loeschen", response_class=HTMLResponse)
def delete_search_page(token: str, request: Request, store: SearchStoreDep):
    deleted = store.delete(token)
    return _page(request, None, [], 200 if deleted else 404, deleted=deleted)
