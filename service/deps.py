"""The dependencies of the routes, each defined once as a type: what a route needs of the running service
(service/lifespan.py), by type; tests swap one with `app.dependency_overrides`."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

from fastapi import BackgroundTasks, Depends, Request

from matcher import MatchModel, Problem, Profile, UnavailableError
from matcher.alerts import SearchStore
from matcher.coverage import DemandLog, gather_demand
from matcher.coverage import Responses
from matcher.feedback import FeedbackStore, read_responses
from matcher.ranking import CachedRecommender

from .errors import NotReady


def get_recommender(request: Request) -> CachedRecommender:
    """The served model with its caches; 503 until it is loaded. A request keeps the one it got, swap or not."""
    recommender = request.app.state.recommender
    if recommender is None:
        raise NotReady()
    return recommender


def get_model(recommender: Annotated[CachedRecommender, Depends(get_recommender)]) -> MatchModel:
    return recommender.model


def get_search_store(request: Request) -> SearchStore:
    if request.app.state.searches is None:
        raise UnavailableError([Problem(("searches_db",), "saved searches are not configured here "
                                        "(KOMMUNE_MATCHER_SEARCHES_DB)", "unavailable")])
    return request.app.state.searches


def get_feedback_store(request: Request) -> FeedbackStore:
    if request.app.state.feedback is None:
        raise UnavailableError([Problem(("feedback_db",), "feedback is not kept here (KOMMUNE_MATCHER_FEEDBACK_DB)",
                                        "unavailable")])
    return request.app.state.feedback


def get_demand(request: Request) -> tuple[list, list[str]]:
    """(demand records, German names of their sources): the survey read at start-up and the logged requests."""
    demand_log = request.app.state.demand_log
    logged = demand_log.read_or_empty() if demand_log is not None else None
    return gather_demand(request.app.state.survey or None, "Umfrage", logged)


def get_responses(request: Request) -> Responses:
    """How often each offer was shown, found fitting and rejected (for providers)."""
    return read_responses(request.app.state.demand_log, request.app.state.feedback)


class DemandRecorder:
    """Records a request's demand, derived codes only, in a background task after the answer is sent; a failing
    database is logged once by the demand log and costs no request."""

    def __init__(self, demand_log: DemandLog | None, background: BackgroundTasks):
        self.demand_log, self.background = demand_log, background

    def person(self, result, profile: Profile) -> None:
        """The person's codes and the offers their list showed (counted for providers, /anbieter)."""
        if self.demand_log is not None:
            shown = [r.offer_id for r in result.recommendations]
            self.background.add_task(self.demand_log.record, result.interpreted, profile, "person", shown_ids=shown)

    def team(self, result, members: Sequence[Profile]) -> None:
        if self.demand_log is not None:
            for n, ((_, interpreted), member) in enumerate(zip(result.members, members)):
                shown = [r.offer_id for r in result.recommendations] if n == 0 else []  # the list is shown once
                self.background.add_task(self.demand_log.record, interpreted, member, "team", shown_ids=shown)


def get_recorder(request: Request, background: BackgroundTasks) -> DemandRecorder:
    return DemandRecorder(request.app.state.demand_log, background)


def get_settings(request: Request):
    return request.app.state.settings


RecommenderDep = Annotated[CachedRecommender, Depends(get_recommender)]
ModelDep = Annotated[MatchModel, Depends(get_model)]
SearchStoreDep = Annotated[SearchStore, Depends(get_search_store)]
DemandDep = Annotated[tuple, Depends(get_demand)]
FeedbackDep = Annotated[FeedbackStore, Depends(get_feedback_store)]
ResponsesDep = Annotated[Responses, Depends(get_responses)]
RecorderDep = Annotated[DemandRecorder, Depends(get_recorder)]
SettingsDep = Annotated[object, Depends(get_settings)]
