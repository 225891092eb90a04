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


class Demand:
    """The service's demand: requests recorded in the demand log (if configured) plus a survey read at start-up.

    Recording never raises: a failing database is logged once and the request goes on.
    """

    def __init__(self, log, survey: list):
        self.log, self.survey = log, survey

    def __call__(self, interpreted, profile, kind: str = "person") -> None:
        if self.log is not None:
            self.log.record(interpreted, profile, kind)

    def records(self) -> tuple[list, list[str]]:
        """(demand records, German names of their sources)."""
        logged = self.log.read_or_empty() if self.log is not None else []
        sources = [f"Umfrage ({len(self.survey)} Profile)"] if self.survey else []
        sources += [f"Anfrageprotokoll ({len(logged)} Anfragen)"] if self.log is not None else []
        return [*self.survey, *logged], sources


def get_demand(request: Request) -> Demand:
    return Demand(request.app.state.demand_log, request.app.state.survey_demand)


RecommenderDep = Annotated[CachedRecommender, Depends(get_recommender)]
DemandDep = Annotated[Demand, Depends(get_demand)]
ModelDep = Annotated[MatchModel, Depends(get_model)]
