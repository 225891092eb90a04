"""Aggregations over the members' topic utility matrix U (n_members, n_eligible_offers), utilities in (0, 1),
and who of a team may attend an offer. Pure functions."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..core import ROLES
from ..ranking import standardise


def average(utilities: np.ndarray) -> np.ndarray:
    """Mean utility over members (the additive utilitarian strategy; Masthoff 2011)."""
    return utilities.mean(axis=0)


def least_misery(utilities: np.ndarray) -> np.ndarray:
    """The least happy member decides (Masthoff 2011); ties are rare as utilities are continuous."""
    return utilities.min(axis=0)


def borda(utilities: np.ndarray) -> np.ndarray:
    """Borda count: each member gives n-1 points to their best offer, ... 0 to their worst; normalised to [0, 1]."""
    n = utilities.shape[1]
    points = np.empty_like(utilities)
    for member, row in enumerate(utilities):
        points[member, np.argsort(row, kind="stable")] = np.arange(n)
    return points.mean(axis=0) / max(n - 1, 1)


def fair_greedy(utilities: np.ndarray, candidates: np.ndarray, k: int,
                placed: np.ndarray | None = None) -> np.ndarray:
    """GFAR-style fair selection (Kaya, Bridge & Tintarev, RecSys 2020), greedy over the candidates.

    Each pick maximises sum_u p(u, i) * prod_{j chosen} (1 - p(u, j)): the chance that the offer is the first
    useful one for a member, so members not yet served weigh more. Offers already placed above the list count as
    chosen. Returns positions into candidates.
    """
    p = utilities[:, candidates]
    unserved = np.prod(1 - utilities[:, placed], axis=1) if placed is not None else np.ones(p.shape[0])
    left = np.ones(len(candidates), dtype=bool)
    order = []
    for _ in range(min(k, len(candidates))):
        gain = np.where(left, unserved @ p, -np.inf)
        best = int(np.argmax(gain))  # first of equals: candidates come in score order, ties by id
        order.append(best)
        left[best] = False
        unserved *= 1 - p[:, best]
    return np.array(order, dtype=int)


AGGREGATIONS = {"average": average, "least_misery": least_misery, "borda": borda, "fair": None}
# Chosen on benchmarks/teams.py with leave-one-team-out CV (results_teams.md): the best team NDCG@10 among the
# settings that keep at least 85 % of the top 5 open to every member (a margin over the 80 % target).
DEFAULT_AGGREGATION = "least_misery"
TOPIC_SHIFT = 2.5  # a member's topic utility is 1/2 this many standard deviations above their mean offer


def topic_utility(topic: np.ndarray, mask: np.ndarray, shift: float = TOPIC_SHIFT) -> np.ndarray:
    """Chance-like fit in (0, 1) of each offer to what a member asks about.

    topic is the blend without the role and open-to-all signals (access is counted apart), standardised over
    the eligible offers so the shift means the same with or without the semantic encoder.
    """
    return 1.0 / (1.0 + np.exp(-(standardise(topic, mask) - shift)))


def aggregate(utilities: np.ndarray, aggregation: str) -> np.ndarray:
    """The members' utilities over the eligible offers, aggregated; fair selection (a greedy order, not a
    score) uses the average here. Pass the eligible offers only: Borda ranks among them."""
    return (average if aggregation == "fair" else AGGREGATIONS[aggregation])(utilities)


def may_attend(role_targets: np.ndarray, open_to_all: np.ndarray, role: str | Sequence[str] | None) -> np.ndarray:
    """Offers a member of this role (or of either of two) may attend: open to all, or naming it; unknown: all."""
    roles = (role,) if isinstance(role, str) else tuple(role or ())
    if not roles:
        return np.ones(len(open_to_all), dtype=bool)
    return open_to_all | role_targets[:, [ROLES.index(r) for r in roles]].any(axis=1)
