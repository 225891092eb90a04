"""Recommendations for one person and for a team."""
from __future__ import annotations

from fastapi import APIRouter

from matcher import recommend_group

from ..deps import ModelDep, RecommenderDep, RecorderDep
from ..schemas import GroupIn, GroupOut, RecommendationsIn, RecommendationsOut

router = APIRouter(prefix="/recommendations", tags=["recommendations"])
BODY_ERRORS = {400: {"description": "body that cannot be read at all (not UTF-8)"},
               413: {"description": "body over the size limit"}, 422: {"description": "invalid input"}}


@router.post("", response_model=RecommendationsOut, responses=BODY_ERRORS)
def recommend(body: RecommendationsIn, recommender: RecommenderDep, demand: RecorderDep) -> RecommendationsOut:
    """Offers for one person: how the engine read them, and the top_k offers with German reasons."""
    profile = body.to_domain()
    result = recommender.recommend(profile, body.top_k)
    demand.person(result, profile)
    return RecommendationsOut.from_domain(result)


@router.post("/group", response_model=GroupOut, responses=BODY_ERRORS)
def recommend_for_group(body: GroupIn, model: ModelDep, demand: RecorderDep) -> GroupOut:
    """Offers a team of one municipality can take up together, with team reasons and per-member fit."""
    members = body.to_domain()
    result = recommend_group(model, members, body.top_k, body.aggregation, group_id=body.id)
    demand.team(result, members)
    return GroupOut.from_domain(result, body.aggregation)
