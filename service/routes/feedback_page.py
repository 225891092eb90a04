"""The verdict buttons of the German pages: each card's form posts here, the verdict is stored, and the browser
goes back to the same list at the same card, which then says "Danke, vermerkt". No script needed."""
from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse

from matcher import MatcherInputError, UnavailableError, limits
from matcher.teams import MAX_MEMBERS

from ..deps import ModelDep, get_feedback_store
from ..forms import person_search, posted_form, posted_person, read_person_form, templates
from .feedback import store_verdict
from .team_page import read_team, team_search

router = APIRouter(include_in_schema=False)
REFUSED = "Ihre Rückmeldung konnten wir nicht vermerken"


@router.post("/rueckmeldung", response_class=HTMLResponse)
async def feedback_page(request: Request, model: ModelDep):
    posted = await posted_form(request)

    def one(name: str) -> str:
        return posted.get(name, [""])[0]

    offer_id, verdict, place = one("angebot"), one("urteil"), one("platz")
    if one("seite") == "team":
        count = min(max(int(one("personen")) if one("personen").isdigit() else 0, 1), MAX_MEMBERS)
        members = [{"titel": one(f"titel{n}"), "bedarf": one(f"bedarf{n}")} for n in range(1, count + 1)]
        search, page = team_search(members, one("land")), "/team"
        profiles, errors = read_team(members, one("land"))
        what = {"members": profiles}
    else:
        form = posted_person(posted)
        search, page = person_search(form), "/"
        profile, errors = read_person_form(form)
        what = {"profile": profile}
    back = f"{page}?{urlencode(search)}"
    try:
        if errors:
            raise MatcherInputError([])
        new_id = await run_in_threadpool(store_verdict, model, get_feedback_store(request), offer_id=offer_id,
                                         verdict=verdict, top_k=limits.DEFAULT_TOP_K, **what)
    except UnavailableError:
        return _refused(request, back, "Rückmeldungen werden hier gerade nicht gespeichert.", 503)
    except MatcherInputError:
        return _refused(request, back, "Diese Rückmeldung passt nicht zu Ihren Vorschlägen: das Angebot fehlt im Katalog, ist abgelaufen oder gilt für ein anderes Bundesland.", 422)
    anchor = f"#angebot-{place}" if place.isdigit() else ""
    return RedirectResponse(f"{back}&{urlencode({'vermerkt': offer_id})}{anchor}", status_code=303,
                            headers={"X-Feedback-Id": str(new_id)})


def _refused(request: Request, back: str, reason: str, status: int):
    return templates.TemplateResponse(request, "rueckmeldung.html", {"title": REFUSED, "reason": reason,
                                                                     "back": back}, status_code=status)
