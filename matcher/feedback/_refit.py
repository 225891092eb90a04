"""Refitting the blend on an installation's own verdicts, guarded by a held-out part of them.

Two things are learned. The feedback signal: per offer, the log-odds that a person found it fitting, shrunk
towards the offer's overall rate (ALPHA_ROLE pseudo-verdicts) and that towards the rate of all verdicts
(ALPHA_OFFER), per role of the person (model.FeedbackPrior). And the weights of every signal, that one included:
within each result list that got verdicts, an offer found "passt" should rank above every offer of that list
without a verdict, and those above every offer found "passt nicht" (the pairwise preferences of Joachims 2002,
from explicit verdicts); an offer with both verdicts in one list says nothing and is left out. The weights
minimise the pairwise logistic loss (as matcher.ranking.fit_pairwise) plus strength/2 * ||w - w0||^2, w0 the
current weights: with little feedback they stay where the shipped judgments put them. Each list weighs at most
one, however many verdicts it sent, so no one request can move the ranking. A list's own verdicts never feed the
feedback signal its pairs are fitted on (leave one list out), or the fit would learn to trust it blindly.

The guard: lists are split in GUARD_FOLDS folds by a fixed seed; each fold is held out once while everything is
fitted on the others (the feedback signal from their verdicts only). The refit on all lists is adopted only when
these fits order the held-out lists' pairs better than the current model, by more than twice the standard error
of the per-list gain.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np
from scipy.optimize import minimize

from ..core import ROLES
from ..model import SIGNALS, FeedbackPrior, Weights
from ._store import StoredVerdict

PRIOR_STRENGTH = 10.0  # pull towards the current weights: the best of 0.3-10 on the three collections'
# simulated feedback (benchmarks/feedback.py prints them all; one setting, chosen on all three)
ALPHA_OFFER, ALPHA_ROLE = 3.0, 2.0  # pseudo-verdicts of the shrinkage (benchmarks/feedback.py)
GUARD_FOLDS = 5
MIN_LISTS = 10
STORED = tuple(n for n in SIGNALS if n != "feedback")  # read from the rows; the feedback signal is refitted


@dataclass(frozen=True)
class VerdictList:
    """One result list's verdicts: the offers shown (and judged), their stored signals, +1 / 0 / -1 each."""

    key: str
    role: str | None  # the person's role as read (the first of two)
    offers: tuple[str, ...]
    values: np.ndarray  # (offers, STORED)
    labels: np.ndarray  # +1 passt, -1 passt nicht, 0 no verdict
    verdicts: int


def read_lists(stored: Sequence[StoredVerdict]) -> tuple[list[VerdictList], int]:
    """(the lists that order at least one pair, how many verdicts were left out: signals of another kind of
    model, or both verdicts on one offer of one list)."""
    groups: dict[str, list[StoredVerdict]] = {}
    skipped = 0
    for v in stored:
        if not set(STORED) <= set(v.names) or v.offer_id not in v.offers:
            skipped += 1
            continue
        groups.setdefault(v.list_key, []).append(v)
    out = []
    for key, given in groups.items():
        rows: dict[str, np.ndarray] = {}
        for v in given:
            columns = [v.names.index(n) for n in STORED]
            for offer_id, row in zip(v.offers, v.values):
                rows.setdefault(offer_id, np.asarray(row, dtype=float)[columns])
        said: dict[str, set[bool]] = {}
        for v in given:
            said.setdefault(v.offer_id, set()).add(v.passt)
        contradicted = {o for o, s in said.items() if len(s) > 1}
        skipped += sum(v.offer_id in contradicted for v in given)
        offers = [o for o in rows if o not in contradicted]
        labels = np.array([0 if o not in said else (1 if True in said[o] else -1) for o in offers])
        if len(set(labels.tolist())) > 1:  # else the list orders no pair
            roles = given[0].roles
            out.append(VerdictList(key, roles[0] if roles else None, tuple(offers),
                                   np.array([rows[o] for o in offers]), labels, int((labels != 0).sum())))
    return out, skipped


class VerdictCounts:
    """"passt" and "passt nicht" per offer and per offer and role, over some lists: the feedback signal's data."""

    def __init__(self, lists: Sequence[VerdictList]):
        self.yes, self.no, self.yes_role, self.no_role = Counter(), Counter(), Counter(), Counter()
        for lst in lists:
            self._add(lst, 1)

    def _add(self, lst: VerdictList, sign: int) -> None:
        for offer_id, label in zip(lst.offers, lst.labels):
            if label:
                (self.yes if label > 0 else self.no)[offer_id] += sign
                (self.yes_role if label > 0 else self.no_role)[offer_id, lst.role] += sign

    def _rate(self) -> float:
        total = sum(self.yes.values()) + sum(self.no.values())
        return sum(self.yes.values()) / total if total else 0.5

    def value(self, offer_id: str, role: str | None, rate: float) -> float:
        yes, no = self.yes[offer_id], self.no[offer_id]
        offer = (yes + ALPHA_OFFER * rate) / (yes + no + ALPHA_OFFER)
        if role is not None:
            yes, no = self.yes_role[offer_id, role], self.no_role[offer_id, role]
            offer = (yes + ALPHA_ROLE * offer) / (yes + no + ALPHA_ROLE)
        return float(_logit(offer) - _logit(rate))

    def signal_of(self, lst: VerdictList, leave_out: bool) -> np.ndarray:
        """The feedback signal of the list's offers for its person; leave_out: without the list's own verdicts."""
        if leave_out:
            self._add(lst, -1)
        try:
            rate = self._rate()
            return np.array([self.value(o, lst.role, rate) for o in lst.offers])
        finally:
            if leave_out:
                self._add(lst, 1)

    def prior(self, index: Mapping[str, int], n_offers: int) -> FeedbackPrior:
        """The feedback signal for every offer of a model (by position) and every role."""
        overall, by_role = np.zeros(n_offers), np.zeros((n_offers, len(ROLES)))
        rate = self._rate()
        for offer_id in set(self.yes) | set(self.no):
            if offer_id in index:
                i = index[offer_id]
                overall[i] = self.value(offer_id, None, rate)
                by_role[i] = [self.value(offer_id, r, rate) for r in ROLES]
        return FeedbackPrior(overall, by_role)


def _logit(p):
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


@dataclass(frozen=True)
class ListPairs:
    """One result list's preferences: signal differences (better minus worse, SIGNALS) of its ordered pairs."""

    key: str
    diffs: np.ndarray  # (pairs, signals)
    verdicts: int


def pairs_of(lst: VerdictList, feedback: np.ndarray) -> ListPairs:
    rows = np.column_stack([lst.values, feedback])[:, [(*STORED, "feedback").index(n) for n in SIGNALS]]
    better, worse = np.nonzero(lst.labels[:, None] > lst.labels[None, :])
    return ListPairs(lst.key, rows[better] - rows[worse], lst.verdicts)


def fit_with_prior(lists: Sequence[ListPairs], start: np.ndarray, strength: float = PRIOR_STRENGTH) -> np.ndarray:
    """Weights minimising the lists' pairwise logistic loss (each list weighing one) + strength/2 * ||w - start||^2."""
    x = np.vstack([lp.diffs for lp in lists])
    weight = np.concatenate([np.full(len(lp.diffs), 1.0 / len(lp.diffs)) for lp in lists])

    def loss(w):
        margin = x @ w
        gap = w - start
        value = weight @ np.logaddexp(0.0, -margin) + 0.5 * strength * gap @ gap
        grad = -x.T @ (weight / (1.0 + np.exp(margin))) + strength * gap
        return value, grad

    return minimize(loss, start.copy(), jac=True, method="L-BFGS-B").x


def pairwise_accuracy(lp: ListPairs, w: np.ndarray) -> float:
    """Share of one list's pairs that w orders right (a tie counts half)."""
    s = lp.diffs @ w
    return float(((s > 0) + 0.5 * (s == 0)).mean())


@dataclass(frozen=True)
class RefitOutcome:
    adopted: bool
    reason: str
    weights: Weights  # the new weights when adopted, else the current ones
    prior: FeedbackPrior | None  # the new feedback signal when adopted, else the current one
    verdicts: int  # verdicts used
    skipped: int
    lists: int
    before: float | None  # held-out pairwise accuracy of the current model (each list held out once)
    after: float | None  # and of the refitted one

    def to_dict(self) -> dict:
        return {"adopted": self.adopted, "reason": self.reason, "verdicts": self.verdicts, "skipped": self.skipped,
                "lists": self.lists, "held_out_accuracy_before": self.before,
                "held_out_accuracy_after": self.after}


def refit_weights(stored: Sequence[StoredVerdict], current: Weights, index: Mapping[str, int], *,
                  prior: FeedbackPrior | None = None, min_feedback: int = 30, strength: float = PRIOR_STRENGTH,
                  seed: int = 0, guarded: bool = True) -> RefitOutcome:
    """The current weights and feedback signal refitted on the verdicts, or kept with the reason (too little
    feedback, no gain on the held-out lists). index: offer id -> position of the model's offers.
    guarded=False adopts the fit on all lists unchecked (benchmarks/feedback.py measures it beside the guard)."""
    lists, skipped = read_lists(stored)
    used = sum(lst.verdicts for lst in lists)

    def keep(reason, before=None, after=None):
        return RefitOutcome(False, reason, current, prior, used, skipped, len(lists), before, after)

    if used < min_feedback:
        return keep(f"too little feedback: {used} usable verdicts, {min_feedback} needed")
    start = np.array([getattr(current, n) for n in SIGNALS])
    if len(lists) < MIN_LISTS:
        return keep(f"too few result lists to check a refit on: {len(lists)}, at least {MIN_LISTS} needed")
    if not guarded:
        return _adopted(lists, start, current, index, strength, used, skipped, "unguarded", None, None)
    # every list is held out once: fitted on the other folds (their verdicts alone feed its feedback signal)
    folds = np.random.default_rng(seed).permutation(len(lists)) % GUARD_FOLDS
    before, after = np.zeros(len(lists)), np.zeros(len(lists))
    for f in range(GUARD_FOLDS):
        fitted_on = [lst for lst, g in zip(lists, folds) if g != f]
        counts = VerdictCounts(fitted_on)
        fitted = _fit(fitted_on, counts, start, strength)
        for i in np.flatnonzero(folds == f):
            # the current model as served; its feedback signal may hold this list's verdicts already (an
            # earlier refit), which only makes the guard stricter
            before[i] = pairwise_accuracy(pairs_of(lists[i], _served(prior, lists[i], index)), start)
            after[i] = pairwise_accuracy(pairs_of(lists[i], counts.signal_of(lists[i], leave_out=False)), fitted)
    gain = after - before
    se = gain.std(ddof=1) / np.sqrt(len(gain))
    b, a = round(float(before.mean()), 4), round(float(after.mean()), 4)
    if not gain.mean() > 2 * se:
        return keep(f"the refit orders the held-out lists no better: pairwise accuracy {a} against {b} now "
                    f"(gain {gain.mean():+.4f}, needed more than twice its standard error {se:.4f})", b, a)
    return _adopted(lists, start, current, index, strength, used, skipped, f"held-out pairwise accuracy {b} -> {a}",
                    b, a)


def _fit(lists: Sequence[VerdictList], counts: VerdictCounts, start: np.ndarray, strength: float) -> np.ndarray:
    fitted = fit_with_prior([pairs_of(lst, counts.signal_of(lst, leave_out=True)) for lst in lists], start, strength)
    return fitted * np.linalg.norm(start) / max(np.linalg.norm(fitted), 1e-12)  # same scale: calibration holds


def _served(prior: FeedbackPrior | None, lst: VerdictList, index: Mapping[str, int]) -> np.ndarray:
    if prior is None:
        return np.zeros(len(lst.offers))
    column = prior.signal(ROLES.index(lst.role) if lst.role in ROLES else None)
    return np.array([column[index[o]] if o in index else 0.0 for o in lst.offers])


def _adopted(lists, start, current, index, strength, used, skipped, reason, before, after) -> RefitOutcome:
    """The outcome that adopts the weights and the feedback signal fitted on all lists."""
    counts = VerdictCounts(lists)
    weights = replace(current, **{n: round(float(w), 4) for n, w in zip(SIGNALS, _fit(lists, counts, start, strength))})
    prior = counts.prior(index, max(index.values(), default=-1) + 1)
    return RefitOutcome(True, reason, weights, prior, used, skipped, len(lists), before, after)
