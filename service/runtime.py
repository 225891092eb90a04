"""The service's runtime: everything a request uses, built once in the lifespan and shared by every route.

It holds the served model with its caches, the demand log, a survey's demand and the saved searches; it answers
the engine calls and records each request's demand, so no route logs anything itself. A model that `matcher train`
swaps in replaces the recommender in one assignment, while the old one serves until then; then the saved searches'
new offers are computed for it in the background (once per model, see matcher.alerts.refresh_notices).
"""
from __future__ import annotations

import logging
import os
import threading
from collections.abc import Sequence
from dataclasses import replace

from matcher import (GroupResult, MatchModel, Problem, Profile, Result, UnavailableError, load, read_profiles,
                     recommend_group)
from matcher.alerts import SavedSearch, SearchStore, model_fingerprint, refresh_notices
from matcher.coverage import DemandLog, demand_records, gather_demand
from matcher.ranking import CachedRecommender
from matcher.text import QueryCache

from .settings import Settings

log = logging.getLogger("service")


class Runtime:
    def __init__(self, settings: Settings):
        self.settings = settings
        self.recommender: CachedRecommender | None = None  # None until the model is in
        self.load_error: str | None = None
        self.demand_log: DemandLog | None = None
        self.survey_demand: list = []
        self.model_version: str | None = None
        self.searches: SearchStore | None = None
        self.refreshing: threading.Thread | None = None  # computing the saved searches' notices for a new model

    # the model

    @property
    def model(self) -> MatchModel | None:
        return self.recommender.model if self.recommender is not None else None

    def start(self, model: MatchModel) -> None:
        """Everything a request needs, prepared before the service reports ready: no request reads a file."""
        settings = self.settings
        model = self._served(model)
        if settings.demand_profiles:
            profiles = [p for _, p, _ in read_profiles(settings.demand_profiles) if p is not None]
            self.survey_demand = demand_records(model, profiles)
            log.info("demand of %d profiles read from %s", len(profiles), settings.demand_profiles)
        if settings.demand_db:
            self.demand_log = DemandLog(settings.demand_db, settings.demand_retention_days)
        self.searches = self._search_store()
        self._serve(model)

    def _serve(self, model: MatchModel) -> None:
        self.recommender = self._recommender(model)  # one assignment: an atomic swap
        if self.searches is not None:
            self.refreshing = threading.Thread(target=self.refresh_searches, args=(self.recommender.model,),
                                               name="search-notices", daemon=True)
            self.refreshing.start()

    def _served(self, model: MatchModel) -> MatchModel:
        return model if self.settings.semantic else model.lexical()

    def _recommender(self, model: MatchModel) -> CachedRecommender:
        """The served model (see _served) with its caches: results by request, query embeddings by text."""
        if model.semantic and self.settings.query_cache_size > 0:
            model = replace(model, encoder=QueryCache(model.encoder, self.settings.query_cache_size))
        return CachedRecommender(model, self.settings.cache_size)

    def load_in_background(self) -> threading.Thread:
        """Load the model off the event loop, so /health answers at once and /ready says 503 until it is in."""
        def work():
            try:
                self.model_version = self._version()
                self.start(load(self.settings.model_dir))
                log.info("model loaded from %s", self.settings.model_dir)
            except Exception as exc:  # the service stays up and /ready reports why
                self.load_error = str(exc)
                log.error("cannot load the model: %s", exc)
        thread = threading.Thread(target=work, name="model-loader", daemon=True)
        thread.start()
        return thread

    def _version(self) -> str:
        """Which saved model the directory points at now: `matcher train` swaps a link to a new version."""
        return os.path.realpath(self.settings.model_dir)

    def reload_if_changed(self) -> bool:
        """Load and swap in the model when `matcher train` has replaced it; the old one serves until then."""
        version = self._version()
        if version == self.model_version:
            return False
        try:
            model = load(self.settings.model_dir)
        except Exception as exc:  # keep serving the model we have
            log.error("new model in %s cannot be loaded, keeping the current one: %s", self.settings.model_dir, exc)
            self.model_version = version
            return False
        self.model_version = version
        self._serve(self._served(model))
        log.info("model reloaded from %s", self.settings.model_dir)
        return True

    def watch(self, stop: threading.Event) -> None:
        while not stop.wait(self.settings.reload_seconds):
            self.reload_if_changed()

    # the engine calls, each recording its demand

    def recommend(self, profile: Profile, top_k: int) -> Result:
        result = self.recommender.recommend(profile, top_k)
        self._record(result.interpreted, profile, "person")
        return result

    def recommend_group(self, members: Sequence[Profile], top_k: int, aggregation: str | None = None, *,
                        group_id: str | None = None) -> GroupResult:
        options = {"aggregation": aggregation} if aggregation else {}
        result = recommend_group(self.model, members, top_k, group_id=group_id, **options)
        for (_, interpreted), member in zip(result.members, members):
            self._record(interpreted, member, "team")
        return result

    # saved searches

    def _search_store(self) -> SearchStore | None:
        settings = self.settings
        if not settings.searches_db:
            return None
        if not settings.searches_key_file:
            log.error("saved searches are off: no key file configured (KOMMUNE_MATCHER_SEARCHES_KEY_FILE)")
            return None
        return SearchStore(settings.searches_db, settings.searches_key_file, settings.searches_retention_days)

    def refresh_searches(self, model: MatchModel) -> None:
        """The offers new in each saved search's top k under this model; a failing database is logged, never raised
        (the next model, or `matcher alerts`, computes what this run missed)."""
        try:
            if not self.searches.exists():
                return
            counts = refresh_notices(self.searches, model)
            log.info("saved searches: %(searches)d checked against the new model, %(new)d new offers noticed, "
                     "%(purged)d expired searches deleted", counts)
        except Exception as exc:
            log.error("saved searches: computing new offers failed (%s)", type(exc).__name__)

    def search_store(self) -> SearchStore:
        if self.searches is None:
            raise UnavailableError([Problem(("searches_db",), "saved searches are not configured here "
                                            "(KOMMUNE_MATCHER_SEARCHES_DB)", "unavailable")])
        return self.searches

    def save_search(self, profile: Profile, top_k: int) -> SavedSearch:
        """Store a search with its current top k as already seen: only offers that enter it later are new."""
        store, recommender = self.search_store(), self.recommender  # one model for the baseline and its name
        seen = recommender.recommend(profile, top_k)  # cached: the person has usually just seen it
        return store.save(profile, top_k, [r.offer for r in seen.recommendations],
                          model_fingerprint(recommender.model))

    def _record(self, interpreted, profile: Profile, kind: str) -> None:
        """Never raises: a failing database is logged once by the demand log and the request goes on."""
        if self.demand_log is not None:
            self.demand_log.record(interpreted, profile, kind)

    def demand(self) -> tuple[list, list[str]]:
        """(demand records, German names of their sources): the survey read at start-up and the logged requests."""
        logged = self.demand_log.read_or_empty() if self.demand_log is not None else None
        return gather_demand(self.survey_demand or None, "Umfrage", logged)
