"""From profiles to explained top k lists: the recommend calls, one flow per person, and the cache the
service keeps of their results.

    score (signals) -> blend the eligible offers -> select (top k, near-duplicates apart) -> explain
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np

from ..core import Offer, Profile, check_top_k, limits
from ..model import MatchModel, Weights
from ._blend import blend, calibrated, standardise_by, standardise_signals, select
from ._candidates import DEFAULT_FIRST_STAGE, AtPositions, FirstStage, offer_index, score_candidates
from ._explain import Reason, explain
from ._signals import Interpretation, PersonSignals, score, weights_for


MAX_CELLS = 2_000_000  # profiles x offers scored at once: a batch's signal arrays stay near 100 MB at any size


@dataclass(frozen=True)
class Recommendation:
    offer: Offer
    rank: int
    score: float
    reasons: tuple[Reason, ...]

    @property
    def offer_id(self) -> str:
        return self.offer.id


@dataclass(frozen=True)
class Result:
    profile_id: str | None
    interpreted: Interpretation
    recommendations: tuple[Recommendation, ...]


@dataclass(frozen=True)
class Ranking:
    """One person's ranking: the positions shown, best first, the blended score and the standardised signals
    of every offer (offers not eligible score as if average), each read by the offer's position in the model
    (`scores[i]`, `standardised[name][i]`); after the first stage they are known for the candidates only
    (ranking._candidates.AtPositions), the shown offers among them."""

    chosen: np.ndarray
    scores: np.ndarray | AtPositions
    standardised: Mapping[str, np.ndarray | AtPositions]


def rank(model: MatchModel, person: PersonSignals, k: int, today_ordinal: int, weights: Weights,
         diversified: bool = True) -> Ranking:
    """The top k of one person's signals among the offers they may be shown (all offers, or the candidates of the
    first stage: those are eligible already)."""
    if person.positions is not None:
        return _rank_candidates(model, person, k, weights, diversified)
    mask = model.eligible(person.profile.region, today_ordinal)
    standardised = standardise_signals(person.raw, mask)
    scores = blend(standardised, weights)
    return Ranking(select(model.offer_index, scores, mask, k, weights, diversified), scores, standardised)


def _rank_candidates(model: MatchModel, person: PersonSignals, k: int, weights: Weights,
                     diversified: bool) -> Ranking:
    positions = person.positions
    standardised = standardise_by(person.raw, person.spreads)
    scores = blend(standardised, weights)
    index = offer_index(model, positions)
    chosen = positions[select(index, scores, np.ones(len(positions), dtype=bool), k, weights, diversified)]
    return Ranking(chosen, AtPositions(positions, scores),
                   {name: AtPositions(positions, values) for name, values in standardised.items()})


def signals_for(model: MatchModel, profiles: Sequence[Profile], today_ordinal: int,
                first_stage: FirstStage | None = DEFAULT_FIRST_STAGE) -> list[PersonSignals]:
    """Each profile's signals as recommend reads them: on the first stage's candidates in a catalog it applies to,
    else over every offer."""
    if first_stage is not None and first_stage.applies(model):
        return score_candidates(model, profiles, today_ordinal, first_stage)
    return score(model, profiles)


def recommend(model: MatchModel, profile: Profile, top_k: int = limits.DEFAULT_TOP_K, *,
              today: date | None = None, weights: Weights | None = None,
              first_stage: FirstStage | None = DEFAULT_FIRST_STAGE) -> Result:
    """The top_k offers for one profile, best first, each with 2 to 4 German reasons."""
    return recommend_many(model, [profile], top_k, today=today, weights=weights, first_stage=first_stage)[0]


def recommend_many(model: MatchModel, profiles: Sequence[Profile], top_k: int = limits.DEFAULT_TOP_K, *,
                   today: date | None = None, weights: Weights | None = None,
                   first_stage: FirstStage | None = DEFAULT_FIRST_STAGE) -> list[Result]:
    """recommend for many profiles at once (texts are vectorised and encoded in one batch); same results.

    first_stage: candidates first in catalogs larger than its full_below (ranking._candidates); None scores every
    offer (the reference).
    """
    top_k = check_top_k(top_k)
    today_ordinal = (today or date.today()).toordinal()
    weights = weights_for(model, weights)
    results = []
    if first_stage is not None and first_stage.applies(model):
        step = 256  # the candidates' arrays are small at any catalog size
    else:
        step = max(1, MAX_CELLS // max(len(model.offers), 1))  # scores are independent of the batch: any cut will do
    for start in range(0, len(profiles), step):
        for person in signals_for(model, profiles[start:start + step], today_ordinal, first_stage):
            ranking = rank(model, person, top_k, today_ordinal, weights)
            recs = tuple(Recommendation(model.offers[i], place,
                                        round(float(calibrated(ranking.scores[i], weights)), 4),
                                        explain(model, person, ranking.standardised, i))
                         for place, i in enumerate(ranking.chosen, start=1))
            results.append(Result(person.profile.id, person.interpretation, recs))
    return results


# A small LRU cache of recommendation results, so a shared result URL is answered without recomputing.

class CachedRecommender:
    """recommend() with the last `maxsize` results kept; profiles are frozen, so they key the cache as they are.

    The day is part of the key: an offer that expires at midnight must not be served from yesterday's entry.
    """

    def __init__(self, model: MatchModel, maxsize: int = 1024):
        self.model, self.maxsize = model, maxsize
        self._entries: OrderedDict = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def recommend(self, profile: Profile, top_k: int, today: date | None = None) -> Result:
        key = (profile, top_k, today or date.today())
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                self.hits += 1
                return self._entries[key]
        result = recommend_many(self.model, [profile], top_k, today=key[2])[0]
        with self._lock:
            self.misses += 1
            self._entries[key] = result
            if len(self._entries) > self.maxsize:
                self._entries.popitem(last=False)
        return result
