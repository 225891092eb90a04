"""Recommendations for one person and for a team."""
from __future__ import annotations

from fastapi import APIRouter

from ..deps import RuntimeDep
from ..schemas import GroupIn, GroupOut, RecommendationsIn, RecommendationsOut

router = APIRouter(prefix="/recommendations", tags=["recommendations"])
BODY_ERRORS = {400: {"description": "body that cannot be read at all (not UTF-8)"},
               413: {"description": "body over the size limit"}, 422: {"description": "invalid input"}}


@router.post("", response_model=RecommendationsOut, responses=BODY_ERRORS)
def recommend(body: RecommendationsIn, runtime: RuntimeDep) -> RecommendationsOut:
    """Offers for one person: how the engine read them, and the top_k offers with German reasons."""
    return RecommendationsOut.from_domain(runtime.recommend(body.profile.to_domain(), body.top_k))


@router.post("/group", response_model=GroupOut, responses=BODY_ERRORS)
def recommend_for_group(body: GroupIn, runtime: RuntimeDep) -> GroupOut:
    """Offers a team of one municipality can take up together, with team reasons and per-member fit."""
    result = runtime.recommend_group(body.to_domain(), body.top_k, body.aggregation, group_id=body.id)
    return GroupOut.from_domain(result, body.aggregation)
