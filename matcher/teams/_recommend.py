"""Offers a team of one municipality can take up together: how the members' fit is aggregated, team
signals and reasons, and each member's fit."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np

from ..core import ROLES, ArgumentError, Offer, Problem, Profile, check_top_k, limits, unknown_code_message
from ..model import MatchModel, OfferIndex, Weights
from ..ranking import (DEFAULT_FIRST_STAGE, POOL_FACTOR, AtPositions, FirstStage, Interpretation, PersonSignals, Reason,
                       blend, calibrated, explain, offer_index, score, select, standardise, standardise_signals,
                       team_candidates, weights_for)
from . import _relevance as team_relevance
from ._relevance import TeamRelevance


# Aggregations over the members' topic utility matrix U (n_members, n_eligible_offers), utilities in (0, 1),
# and who of a team may attend an offer. Pure functions.

def average(utilities: np.ndarray) -> np.ndarray:
    """Mean utility over members (the additive utilitarian strategy; Masthoff 2011)."""
    return utilities.mean(axis=0)


def least_misery(utilities: np.ndarray) -> np.ndarray:
    """The least happy member decides (Masthoff 2011); ties are rare as utilities are continuous."""
    return utilities.min(axis=0)


def borda(utilities: np.ndarray, stats: np.ndarray | None = None) -> np.ndarray:
    """Borda count: each member gives n-1 points to their best offer, ... 0 to their worst; normalised to [0, 1].

    stats: the offers that stand for all (a team's first stage: its sample); an offer's points are then the share
    of them it ranks above, as its normalised points among all offers would be."""
    if stats is not None and not stats.all():
        below = [np.searchsorted(np.sort(row[stats]), row) for row in utilities]
        return np.minimum(np.mean(below, axis=0) / max(int(stats.sum()) - 1, 1), 1.0)
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


def topic_utility(topic: np.ndarray, mask: np.ndarray, shift: float = TOPIC_SHIFT,
                  stats: np.ndarray | None = None) -> np.ndarray:
    """Chance-like fit in (0, 1) of each offer to what a member asks about.

    topic is the blend without the role and open-to-all signals (access is counted apart), standardised over
    the eligible offers (by the mean and spread of those `stats` marks, standardise) so the shift means the same
    with or without the semantic encoder.
    """
    return 1.0 / (1.0 + np.exp(-(standardise(topic, mask, stats) - shift)))


def aggregate(utilities: np.ndarray, aggregation: str, stats: np.ndarray | None = None) -> np.ndarray:
    """The members' utilities over the eligible offers, aggregated; fair selection (a greedy order, not a
    score) uses the average here. Pass the eligible offers only: Borda ranks among them (or `stats`' share, borda)."""
    if aggregation == "borda":
        return borda(utilities, stats)
    return (average if aggregation == "fair" else AGGREGATIONS[aggregation])(utilities)


def may_attend(role_targets: np.ndarray, open_to_all: np.ndarray, role: str | Sequence[str] | None) -> np.ndarray:
    """Offers a member of this role (or of either of two) may attend: open to all, or naming it; unknown: all."""
    roles = (role,) if isinstance(role, str) else tuple(role or ())
    if not roles:
        return np.ones(len(open_to_all), dtype=bool)
    return open_to_all | role_targets[:, [ROLES.index(r) for r in roles]].any(axis=1)


# Teams of one municipality: offers the team can take up together.
#
# Three things are read of a team: who may come (the members' roles against each offer's target roles), what the
# team asks about together (all members' titles and needs read as one shared need), and each member's own fit,
# aggregated by a strategy. The team relevance model turns them into the chance of each team
# grade, and offers are ranked by the expected gain. The aggregations are above, the relevance model in
# _relevance.py.

MIN_MEMBERS, MAX_MEMBERS = limits.MIN_MEMBERS, limits.MAX_MEMBERS
MEMBER_REASONS = 2
TEAM_LEVEL_REASONS = frozenset({"role_open", "region", "cost", "deadline"})  # said once for the team
OPEN_BONUS = 0.75  # expected gain added, in the first places, to offers every member may attend
TEAM_PLACES = 5  # the first places favour what the whole team can take up (benchmarks/teams.py counts them)
SHARED_NEEDS_CHARS = 20000
# The team model ranks a catalog only if it has at least this share of the offers open to all roles that its fitting
# catalog had; below it the team is ranked by its shared need (as one person's query). Set on the directions of
# benchmarks/teams.py --across: the real catalog has 0.46 times the bundled one's share and its teams are ranked
# better by the shared need; no catalog between the two has labeled teams, so any floor from 0.47 to 1 reads the
# same there (0.5: half as many open offers).
OPEN_SHARE_FLOOR = 0.5


def shared_need(members: Sequence[Profile]) -> Profile:
    """All members' job titles and needs read as one person's need: what the team asks about together."""
    return Profile(needs=" ".join(f"{m.role_title or ''} {m.needs}" for m in members)[:SHARED_NEEDS_CHARS])


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
    score: float  # the model's chance that the team finds the offer clearly useful (grade >= 2)
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
        raise ArgumentError([Problem(("aggregation",), unknown_code_message(name, "aggregation",
                                                                                tuple(AGGREGATIONS)), "unknown_code")])
    return name


def check_members(members: Sequence) -> None:
    """2 to 12 members whose given ids are unique (each member's reasons are keyed by id)."""
    if not MIN_MEMBERS <= len(members) <= MAX_MEMBERS:
        raise ArgumentError([Problem(("members",), f"a team has {MIN_MEMBERS} to {MAX_MEMBERS} members, got "
                                         f"{len(members)}", "out_of_range")])
    seen = set()
    for i, m in enumerate(members):
        member_id = m.get("id") if isinstance(m, dict) else getattr(m, "id", None)
        if member_id is not None and member_id in seen:
            raise ArgumentError([Problem(("members", i, "id"), f"member id {member_id!r} is given twice",
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


@dataclass(frozen=True)
class TeamSignals:
    """What the engine reads of a team before ranking: members' signals and utilities, access, features.

    Every array is over the offers at `positions` (a large catalog's first stage: everyone's candidates and the
    model's sample, among the offers every member may reach), or over all offers (positions None); `stats` marks
    those whose mean and spread stand for all eligible offers (the sample's, or the mask)."""
    members: tuple[PersonSignals, ...]
    standardised: list[dict[str, np.ndarray]]  # standardised signals of each member, then of the shared need
    utilities: np.ndarray  # (n_members, n_offers) topic utilities
    attend: np.ndarray  # (n_members, n_offers) who may attend
    mask: np.ndarray  # offers every member can reach
    features: np.ndarray  # (n_offers, len(team_relevance.FEATURES))
    positions: np.ndarray | None = None
    stats: np.ndarray | None = None

    @property
    def interpretations(self) -> tuple[Interpretation, ...]:
        return tuple(m.interpretation for m in self.members)

    def offer_position(self, i: int) -> int:
        """The position in the model of the offer at place i of these arrays."""
        return int(i) if self.positions is None else int(self.positions[i])

    def by_offer(self, person: int) -> dict:
        """Person's standardised signals (a member, or -1: the shared need), read by the offer's position in the
        model (the first stage's: 0.0 for an offer not among them)."""
        values = self.standardised[person]
        if self.positions is None:
            return values
        return {name: AtPositions(self.positions, v) for name, v in values.items()}


def team_region(members: Sequence[Profile]) -> str | None:
    """The one region the members give (a team of one municipality), None when none gives one or they differ."""
    regions = {m.region for m in members if m.region is not None}
    return regions.pop() if len(regions) == 1 else None


def team_signals(model: MatchModel, members: Sequence[Profile], aggregation: str, today_ordinal: int,
                 weights: Weights | None = None, first_stage: FirstStage | None = DEFAULT_FIRST_STAGE) -> TeamSignals:
    """Read a team: each member's and the shared need's signals, who may attend, and the relevance features.

    Topic signals leave out the role and open-to-all parts of the blend: who may come is a feature of its own.
    In a catalog larger than first_stage.full_below only the team's candidates are read (team_candidates), unless
    someone's retrievers find too few; first_stage None reads every offer (the reference).
    """
    topic_weights = weights_for(model, weights).without("role", "open")
    everyone = [*members, shared_need(members)]
    mask = np.ones(len(model.offers), dtype=bool)
    for m in members:  # the team's offers are those every member can reach
        mask &= model.eligible(m.region, today_ordinal)
    found = None
    if first_stage is not None and first_stage.applies(model):
        found = team_candidates(model, everyone, mask, team_region(members), today_ordinal, first_stage)
    if found is None:
        positions, stats, signals = None, mask, score(model, everyone)
    else:
        positions, stats, signals = found
        mask = np.ones(len(positions), dtype=bool)  # the candidates are those every member can reach
    at = slice(None) if positions is None else positions
    *people, _ = signals
    standardised = [standardise_signals(p.raw, mask, stats) for p in signals]
    utilities = np.array([topic_utility(blend(s, topic_weights), mask, stats=stats) for s in standardised[:-1]])
    attend = np.array([may_attend(model.role_targets[at], model.open_to_all[at], p.interpretation.roles)
                       for p in people])
    members_fit, eligible_ = np.zeros(len(mask)), np.flatnonzero(mask)
    members_fit[eligible_] = aggregate(utilities[:, eligible_], aggregation, stats[eligible_])
    features = team_relevance.team_features(
        standardised[-1], standardised[:-1], standardise(blend(standardised[-1], topic_weights), mask, stats),
        members_fit, attend, model.open_to_all[at], model.offer_types[at], all(p.interpretation.role for p in people))
    return TeamSignals(tuple(people), standardised, utilities, attend, mask, features, positions, stats)


def recommend_group(model: MatchModel, members: Sequence[Profile], top_k: int = limits.DEFAULT_TOP_K,
                    aggregation: str = DEFAULT_AGGREGATION, *, group_id: str | None = None,
                    today: date | None = None, weights: Weights | None = None,
                    relevance: TeamRelevance | None = None, open_bonus: float = OPEN_BONUS,
                    diversified: bool = True, first_stage: FirstStage | None = DEFAULT_FIRST_STAGE) -> GroupResult:
    """Offers the team can take up together, best first, with team reasons and per-member fit.

    The team relevance model turns who may come, the fit of all members' titles and needs
    read as one shared need, and the members' own fit aggregated by the chosen strategy into P(grade >= g);
    offers are ranked by the expected gain, and in the first TEAM_PLACES an offer every member may attend gains
    open_bonus. Below them "fair" orders a pool of the best offers greedily (fair_greedy) so that the member
    served least so far comes first, without diversification.

    A catalog with far fewer offers open to all roles than the one the relevance model was fitted with
    (team_relevance.access_carries) is ranked by the shared need alone, as one person's query: the model's
    access features do not carry there (issue 25); the score is then the single-person engine's.

    Parameters
    ----------
    relevance : a fitted TeamRelevance; default the one shipped for this aggregation.
    open_bonus : expected gain added in the first places to offers every member may attend (0: none).
    first_stage : as team_signals takes it.
    """
    top_k, aggregation = check_top_k(top_k), check_aggregation(aggregation)
    check_members(members)
    weights = weights_for(model, weights)
    team = team_signals(model, members, aggregation, (today or date.today()).toordinal(), weights, first_stage)
    interpretations, utilities, attend = team.interpretations, team.utilities, team.attend
    index = offer_index(model, team.positions)
    relevance = relevance or team_relevance.shipped(aggregation)
    if not team_relevance.access_carries(float(model.open_to_all.mean()), relevance.open_share, OPEN_SHARE_FLOOR):
        shared = blend(team.standardised[-1], weights)  # the shared need as one person's query, under the team's rules
        chosen, chances = select(index, shared, team.mask, top_k, weights, diversified), calibrated(shared, weights)
    else:
        probabilities = relevance.probabilities(team.features)
        useful = team.mask & attend.any(axis=0)  # an offer no member may attend is of no use to the team
        chosen = ranked_by_gain(index, team, team_relevance.expected_gain(probabilities), probabilities, useful, top_k,
                                aggregation, open_bonus, weights, diversified)
        chances = probabilities[team_relevance.CLEARLY_USEFUL]
    ids = member_ids(members)
    typical = utilities[:, team.stats].mean(axis=1)  # each member's utility of their average offer
    readings = [team.by_offer(m) for m in range(len(members))]
    recs = []
    for place, i in enumerate(chosen, start=1):
        offer_at = team.offer_position(i)
        fits = tuple(MemberFit(
            ids[m], bool(attend[m, i] and utilities[m, i] > typical[m]), bool(attend[m, i]),
            explain(model, team.members[m], readings[m], offer_at, TEAM_LEVEL_REASONS)[:MEMBER_REASONS])
            for m in range(len(members)))
        recs.append(GroupRecommendation(model.offers[offer_at], place, round(float(chances[i]), 4),
                                        team_reasons(model.offers[offer_at], interpretations, attend[:, i]), fits))
    return GroupResult(group_id, tuple(zip(ids, interpretations)), tuple(recs))


def ranked_by_gain(index: OfferIndex, team: TeamSignals, gain: np.ndarray, probabilities: np.ndarray,
                   useful: np.ndarray, top_k: int, aggregation: str, open_bonus: float, weights: Weights,
                   diversified: bool) -> np.ndarray:
    """Places (in the team's arrays) of the top_k offers by expected gain: open_bonus for offers every member may
    attend in the first TEAM_PLACES; below them "fair" serves whoever is served least so far first."""
    attend = team.attend
    first = select(index, gain + open_bonus * attend.all(axis=0), useful, min(top_k, TEAM_PLACES), weights,
                   diversified)
    if aggregation == "fair":  # below the first places, whoever is served least so far comes first
        served = probabilities[0] * attend  # a member gains only from what they may attend
        pool = select(index, gain, useful, top_k * POOL_FACTOR, weights, False, above=first)
        rest = pool[fair_greedy(served, pool, top_k - len(first), placed=first)]
    else:
        rest = select(index, gain, useful, top_k - len(first), weights, diversified, above=first)
    return np.concatenate([first, rest])


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
