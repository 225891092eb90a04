"""Dependencies shared by the routes: the loaded model and its cached recommender."""
from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request

from matcher import MatchModel
from matcher.cache import CachedRecommender


def get_recommender(request: Request) -> CachedRecommender:
    recommender = getattr(request.app.state, "recommender", None)
    if recommender is None:
        raise HTTPException(status_code=503, detail=[{"type": "not_ready", "loc": [],
                                                      "msg": "the model is still loading; try again shortly"}])
    return recommender


def get_model(recommender: Annotated[CachedRecommender, Depends(get_recommender)]) -> MatchModel:
    return recommender.model


RecommenderDep = Annotated[CachedRecommender, Depends(get_recommender)]
ModelDep = Annotated[MatchModel, Depends(get_model)]
