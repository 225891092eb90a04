"""The German page for a team of one municipality: members are added one by one."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from matcher import STATES, limits, recommend_group
from matcher.core import taxonomy
from matcher.teams import MAX_MEMBERS, MIN_MEMBERS

from ..deps import ModelDep, RecorderDep
from ..forms import read_form, templates, title_suggestions

router = APIRouter(include_in_schema=False)


@router.get("/team", response_class=HTMLResponse)
def team_page(request: Request, model: ModelDep, demand: RecorderDep,
              personen: Annotated[int, Query(ge=1, le=MAX_MEMBERS)] = 3,
              land: Annotated[str, Query(max_length=20)] = "",
              aktion: Annotated[str, Query(max_length=20)] = "",
              vermerkt: Annotated[str, Query(max_length=200)] = ""):
    """Members are added one by one: 'Weitere Person hinzufügen' resubmits the form with one more row."""
    params = request.query_params
    count = min(personen + (aktion == "hinzufuegen"), MAX_MEMBERS)
    members = [{"titel": params.get(f"titel{n}", "")[:limits.MAX_ROLE_TITLE_CHARS * 2],
                "bedarf": params.get(f"bedarf{n}", "")[:limits.MAX_NEEDS_CHARS * 2]} for n in range(1, count + 1)]
    context = {"form": {"members": members, "land": land}, "states": STATES, "suggestions": title_suggestions(),
               "limits": limits, "max_members": MAX_MEMBERS, "result": None, "errors": [], "names": {},
               "noted": vermerkt, "can_feedback": request.app.state.feedback is not None,
               "search": team_search(members, land)}
    if aktion == "suchen":
        profiles, errors = read_team(members, land)
        if errors:
            context["errors"] = errors
        else:
            result = recommend_group(model, profiles, limits.DEFAULT_TOP_K)
            if not vermerkt:  # back from a verdict: the same list again, not a new request
                demand.team(result, profiles)
            context["result"] = result
            context["names"] = {mid: _member_name(mid, it) for mid, it in result.members}
    status = 422 if context["errors"] else 200
    return templates.TemplateResponse(request, "team.html", context, status_code=status)


def read_team(members: list[dict], land: str) -> tuple[list, list[dict]]:
    """The profiles of the filled member rows ({"titel", "bedarf"}), or the German errors per field."""
    filled = [(n, m) for n, m in enumerate(members, start=1) if m["titel"].strip() or m["bedarf"].strip()]
    profiles, errors = [], []
    for n, m in filled:
        profile, found = read_form({"id": f"person-{n}", "role_title": m["titel"] or None, "needs": m["bedarf"],
                                    "region": land or None})
        profiles.append(profile)
        errors += [_member_error(n, e) for e in found]
    if len(filled) < MIN_MEMBERS:
        errors.append({"field": "members", "label": "Team", "anchor": "titel1",
                       "message": f"Bitte tragen Sie mindestens {MIN_MEMBERS} Personen ein."})
    return profiles, errors


def team_search(members: list[dict], land: str) -> list[tuple[str, str]]:
    """The team page's query that shows this team's list, as (name, value) pairs."""
    rows = [(f"{name}{n}", m[name]) for n, m in enumerate(members, start=1) for name in ("titel", "bedarf")]
    return [("personen", str(len(members))), ("land", land), *rows, ("aktion", "suchen")]


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
