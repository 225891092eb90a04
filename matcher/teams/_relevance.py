"""The team relevance model: how likely a team grades an offer 1, 2 or 3, from a few readable features.

Team graders ask two things at once: may every member come, and does the offer serve the team's shared topic.
Neither the access steps nor the topic blend alone predict the grade well (a format open to all but off the
topic gets 0, an offer on the topic for one role gets 1), so a cumulative logistic model learns how they combine:
one logistic regression per threshold, P(grade >= g) for g = 1, 2, 3, fitted on the project's labeled teams
(benchmarks/teams.py --fit). Ranking by the expected gain E[2^grade - 1] orders offers as NDCG rewards them.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..core import OFFER_TYPES

MODEL_FILE = Path(__file__).with_name("team_relevance.json")  # shipped with the package
THRESHOLDS = (1, 2, 3)
GAINS = np.array([1.0, 2.0, 4.0])  # 2^g - 2^(g-1): E[2^grade - 1] = sum_g P(grade >= g) x GAINS[g-1]
CLEARLY_USEFUL = 1  # row of P(grade >= 2), the team score shown to users (as the single-person score)
FITTED_AS = {"fair": "average"}  # fair aggregates the members' fit as average does, so it shares its model
FEATURES = ("shared_char", "shared_field", "member_field", "topic", "everyone", "all_but_one", "attend_share",
            "everyone_x_topic", "all_but_one_x_topic", "named_for_everyone", "members", "everyone_x_members",
            *(f"type_{t}" for t in OFFER_TYPES))


def team_features(shared: dict[str, np.ndarray], members: list[dict[str, np.ndarray]], topic: np.ndarray,
                  members_fit: np.ndarray, attend: np.ndarray, open_to_all: np.ndarray,
                  offer_types: np.ndarray, roles_known: bool = True) -> np.ndarray:
    """(n_offers, len(FEATURES)) features of each offer for one team.

    shared, members: standardised signals of the shared need and of each member; topic: the shared need's topic
    blend, standardised; members_fit: the members' topic utilities aggregated by the chosen strategy;
    attend: (n_members, n_offers) who may attend; roles_known: every member's role is known (a member of
    unknown role may attend anything, so an offer cannot be known to name every member's role).
    """
    n = attend.shape[0]
    count = attend.sum(axis=0)
    everyone = (count == n).astype(float)
    all_but_one = (count == n - 1).astype(float)
    return np.column_stack([
        shared["char"], shared["field"], np.mean([m["field"] for m in members], axis=0), topic,
        everyone, all_but_one, count / n, everyone * topic, all_but_one * topic,
        everyone * ~open_to_all * roles_known,  # names every member's role: a format made for such a team
        members_fit, everyone * members_fit,
        *(offer_types == t for t in OFFER_TYPES)]).astype(float)


@dataclass(frozen=True)
class TeamRelevance:
    coefficients: np.ndarray  # (len(THRESHOLDS), len(FEATURES))
    intercepts: np.ndarray  # (len(THRESHOLDS),)
    # share of the offers open to all roles in the catalog the model was fitted with (None: unknown, never switch);
    # its access features carry only to catalogs where open offers are about as common (access_carries)
    open_share: float | None = None

    def probabilities(self, features: np.ndarray) -> np.ndarray:
        """(len(THRESHOLDS), n_offers): P(grade >= g), made non-increasing in g where separate fits cross."""
        p = 1.0 / (1.0 + np.exp(-(self.coefficients @ features.T + self.intercepts[:, None])))
        return np.minimum.accumulate(p, axis=0)

    def expected_gain(self, features: np.ndarray) -> np.ndarray:
        return expected_gain(self.probabilities(features))

    def to_dict(self) -> dict:
        return {"coefficients": np.round(self.coefficients, 6).tolist(),
                "intercepts": np.round(self.intercepts, 6).tolist(), "open_share": self.open_share}

    @classmethod
    def from_dict(cls, values: dict) -> "TeamRelevance":
        coefficients, intercepts = np.array(values["coefficients"], float), np.array(values["intercepts"], float)
        if coefficients.shape != (len(THRESHOLDS), len(FEATURES)) or intercepts.shape != (len(THRESHOLDS),):
            raise ValueError(f"team relevance model has shape {coefficients.shape}, expected "
                             f"{(len(THRESHOLDS), len(FEATURES))}")
        return cls(coefficients, intercepts, values.get("open_share"))


def access_carries(open_share: float, fitted_open_share: float | None, floor: float) -> bool:
    """Whether a model fitted where fitted_open_share of the offers were open to all roles may rank a catalog
    with open_share of them: yes unless the catalog has fewer than floor times as many (issue 25).

    Fitted on the bundled teams (8.9 % of the offers open to all), the access features cost NDCG on a catalog
    written by other hands with 4.1 % open, whose offers name two or three roles and whose teams graded offers
    for part of the team as useful: there the shared need alone ranks better (benchmarks/results_teams_across.md).
    """
    return fitted_open_share is None or open_share >= floor * fitted_open_share


def expected_gain(probabilities: np.ndarray) -> np.ndarray:
    """E[2^grade - 1] per offer from the (len(THRESHOLDS), n_offers) chances P(grade >= g)."""
    return GAINS @ probabilities


def fit(features: np.ndarray, grades: np.ndarray, C: float = 1.0) -> TeamRelevance:
    """One L2-regularised logistic regression per threshold on stacked (team, offer) rows."""
    from sklearn.linear_model import LogisticRegression
    models = [LogisticRegression(C=C, max_iter=5000).fit(features, grades >= g) for g in THRESHOLDS]
    return TeamRelevance(np.array([m.coef_[0] for m in models]), np.array([m.intercept_[0] for m in models]))


@lru_cache(maxsize=None)
def shipped(aggregation: str) -> TeamRelevance:
    """The model fitted on all labeled teams for this aggregation strategy, as shipped in MODEL_FILE."""
    with open(MODEL_FILE, encoding="utf-8") as f:
        data = json.load(f)
    if tuple(data["features"]) != FEATURES:
        raise ValueError(f"{MODEL_FILE} was fitted on other features; refit with benchmarks/teams.py --fit")
    return TeamRelevance.from_dict(data["strategies"][FITTED_AS.get(aggregation, aggregation)])
