"""Teams of one municipality: each member's fit aggregated into offers the team can take up together.

A member whose role an offer excludes gets no utility from it (they cannot attend), so an offer open to the
whole team beats one that only one member may attend. Aggregations are pure functions over the members'
utility matrix U (n_members, n_offers), utilities in [0, 1] (the calibrated single-person score).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np

from . import limits
from .engine import (Interpretation, blended, check_top_k, reasons_for, score_signals, select)
from .errors import MatcherInputError, Problem
from .explain import Reason
from .model import MatchModel
from .ranking import LEXICAL_WEIGHTS, Weights, calibrated, eligible
from .schema import Offer, Profile
from .taxonomy import ROLES

MIN_MEMBERS, MAX_MEMBERS = limits.MIN_MEMBERS, limits.MAX_MEMBERS
MEMBER_REASONS = 2


# LOW LEVEL: aggregations over the utility matrix

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


def fair_greedy(utilities: np.ndarray, candidates: np.ndarray, k: int) -> np.ndarray:
    """GFAR-style fair selection (Kaya, Bridge & Tintarev, RecSys 2020), greedy over the candidates.

    Each pick maximises sum_u p(u, i) * prod_{j chosen} (1 - p(u, j)): the chance that the offer is the first
    useful one for a member, so members not yet served weigh more. Returns positions into candidates.
    """
    p = utilities[:, candidates]
    unserved = np.ones(p.shape[0])
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
# Chosen on benchmarks/teams.py (results_teams.md): the highest team NDCG@10 among the settings that keep at
# least 80 % of the top 5 open to every member (average scores higher, but fills the top with offers that
# only some members may attend).
DEFAULT_AGGREGATION = "least_misery"
OPEN_BONUS = 0.0
SHARED_WEIGHT = 0.25
TEMPERATURE = 2.0
SHARED_NEEDS_CHARS = 20000


def member_utility(scores: np.ndarray, weights: Weights, temperature: float) -> np.ndarray:
    """A member's utility of each offer in [0, 1]: the calibrated chance that it is useful to them, tempered.

    Untempered, each member's few favourites sit near 1 and all else near 0, so one member's favourite that
    the others cannot use outranks offers good for all; a temperature above 1 flattens that.
    """
    return 1.0 / (1.0 + np.exp(-(weights.score_scale * scores + weights.score_shift) / temperature))


def may_attend(role_targets: np.ndarray, open_to_all: np.ndarray, role: str | None) -> np.ndarray:
    """Offers a member of this role may attend: open to all, or naming the role; unknown role: all."""
    if role is None:
        return np.ones(len(open_to_all), dtype=bool)
    return open_to_all | role_targets[:, ROLES.index(role)]


# HIGH LEVEL

@dataclass(frozen=True)
class MemberFit:
    member_id: str
    served: bool  # may attend, and the offer fits this member better than their average offer
    may_attend: bool
    reasons: tuple[Reason, ...]


@dataclass(frozen=True)
class GroupRecommendation:
    offer: Offer
    rank: int
    score: float  # mean utility over members
    reasons: tuple[Reason, ...]  # about the team as a whole
    members: tuple[MemberFit, ...]

    @property
    def offer_id(self) -> str:
        return self.offer.id

    @property
    def served(self) -> tuple[str, ...]:
        return tuple(m.member_id for m in self.members if m.served)


@dataclass(frozen=True)
class GroupResult:
    group_id: str | None
    members: tuple[tuple[str, Interpretation], ...]
    recommendations: tuple[GroupRecommendation, ...]


def check_aggregation(name: str) -> str:
    if name not in AGGREGATIONS:
        raise MatcherInputError([Problem(("aggregation",), f"unknown aggregation {name!r}; choose one of: "
                                         f"{', '.join(AGGREGATIONS)}", "unknown_code")])
    return name


def check_members(members: Sequence) -> None:
    """2 to 12 members whose given ids are unique (each member's reasons are keyed by id)."""
    if not MIN_MEMBERS <= len(members) <= MAX_MEMBERS:
        raise MatcherInputError([Problem(("members",), f"a team has {MIN_MEMBERS} to {MAX_MEMBERS} members, got "
                                         f"{len(members)}", "out_of_range")])
    seen = set()
    for i, m in enumerate(members):
        member_id = m.get("id") if isinstance(m, dict) else getattr(m, "id", None)
        if member_id is not None and member_id in seen:
            raise MatcherInputError([Problem(("members", i, "id"), f"member id {member_id!r} is given twice",
                                             "duplicate_id")])
        seen.add(member_id)


def member_ids(members: Sequence[Profile]) -> list[str]:
    """Given ids, and "mitglied-N" (N = position) for members without one, never colliding with a given id."""
    taken = {m.id for m in members if m.id}
    ids = []
    for position, m in enumerate(members, start=1):
        member_id = m.id or f"mitglied-{position}"
        while not m.id and member_id in taken:
            member_id += "'"
        taken.add(member_id)
        ids.append(member_id)
    return ids


def recommend_group(model: MatchModel, members: Sequence[Profile], top_k: int = limits.DEFAULT_TOP_K,
                    aggregation: str = DEFAULT_AGGREGATION, *, group_id: str | None = None,
                    today: date | None = None, weights: Weights | None = None, open_bonus: float = OPEN_BONUS,
                    shared_weight: float = SHARED_WEIGHT, temperature: float = TEMPERATURE,
                    diversified: bool = True) -> GroupResult:
    """Offers the team can take up together, best first, with team reasons and per-member fit.

    Parameters
    ----------
    open_bonus : added for offers every member may attend (interdisciplinary fit as its own signal).
    shared_weight : share of the team score that comes from all members' words read as one shared need.
    temperature : flattens member utilities (see member_utility).
    """
    top_k, aggregation = check_top_k(top_k), check_aggregation(aggregation)
    check_members(members)
    weights = weights or (model.weights if model.semantic else LEXICAL_WEIGHTS)
    today_ordinal = (today or date.today()).toordinal()
    shared = Profile(needs=" ".join(m.needs for m in members)[:SHARED_NEEDS_CHARS])
    signals = dict(score_signals(model, [*members, shared]))
    interpretations = signals.pop("interpretations")[:-1]
    mask = np.ones(len(model.offers), dtype=bool)
    for m in members:  # the team's offers are those every member can reach
        mask &= eligible(model.regions, model.expiry_ordinals, m.region, today_ordinal)
    utilities, attend, combined = [], [], []
    for i, it in enumerate(interpretations):
        scores, comb = blended(model, {n: v[i] for n, v in signals.items()}, mask, weights)
        can = may_attend(model.role_targets, model.open_to_all, it.role)
        utilities.append(np.where(can & mask, member_utility(scores, weights, temperature), 0.0))
        attend.append(can)
        combined.append(comb)
    utilities, attend = np.array(utilities), np.array(attend)
    everyone = attend.all(axis=0)
    shared_scores, _ = blended(model, {n: v[-1] for n, v in signals.items()}, mask, weights)
    common = shared_weight * calibrated(shared_scores, weights) + open_bonus * everyone
    if aggregation == "fair":
        pool = select(model, (1 - shared_weight) * average(utilities) + common, mask, top_k * 4, weights, False)
        chosen = pool[fair_greedy(utilities, pool, top_k)]
    else:
        team_scores = (1 - shared_weight) * AGGREGATIONS[aggregation](utilities) + common
        chosen = select(model, team_scores, mask, top_k, weights, diversified)
    ids = member_ids(members)
    recs = []
    for rank_, i in enumerate(chosen, start=1):
        fits = tuple(MemberFit(
            ids[m], bool(attend[m, i] and utilities[m, i] > utilities[m][mask].mean()), bool(attend[m, i]),
            reasons_for(model, members[m], interpretations[m], combined[m], i,
                        model.vectorizer.analyzer_.stem_map(members[m].needs))[:MEMBER_REASONS])
            for m in range(len(members)))
        recs.append(GroupRecommendation(model.offers[i], rank_, round(float(utilities[:, i].mean()), 4),
                                        team_reasons(model.offers[i], interpretations, attend[:, i]), fits))
    return GroupResult(group_id, tuple(zip(ids, interpretations)), tuple(recs))


def team_reasons(offer: Offer, interpretations: Sequence[Interpretation], attend: np.ndarray) -> tuple[Reason, ...]:
    """What the offer means for the team: who may come, the shared topic, who is left out, region."""
    roles = sorted({it.role for it in interpretations if it.role}, key=ROLES.index)
    every_role_known = all(it.role for it in interpretations)
    reasons = []
    if offer.is_open_to_all():
        reasons.append(Reason("team_open"))
    elif attend.all() and every_role_known:  # only then is "aimed at every role in the team" known to be true
        reasons.append(Reason("team_roles", tuple(roles)))
    counts = {f: sum(f in it.fields for it in interpretations) for f in offer.fields}
    shared = [f for f in offer.fields if counts[f] >= min(2, len(interpretations))]
    if shared:
        reasons.append(Reason("team_topic", tuple(shared[:2])))
    excluded = sorted({it.role for it, ok in zip(interpretations, attend) if not ok and it.role}, key=ROLES.index)
    if excluded:
        reasons.append(Reason("team_excluded", tuple(excluded)))
    reasons.append(Reason("region", (offer.region,)))
    if offer.cost == "kostenfrei":
        reasons.append(Reason("cost"))
    return tuple(reasons[:4])
