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
            profile, found = read_form({"id": f"person-{n}", "role_title": m["titel"] or None, "needs": m["bedarf"],
                                        "region": land or None})
            profiles.append(profile)
            errors += [_member_error(n, e) for e in found]
        if len(filled) < MIN_MEMBERS:
            errors.append({"field": "members", "label": "Team", "anchor": "titel1",
                           "message": f"Bitte tragen Sie mindestens {MIN_MEMBERS} Personen ein."})
        if errors:
            context["errors"] = errors
        else:
            result = recommend_group(model, profiles, limits.DEFAULT_TOP_K)
            demand.team(result, profiles)
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
