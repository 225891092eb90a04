"""Refitting the blend's weights on an installation's own verdicts, guarded by a held-out part of them.

Every result list that got verdicts is one group. Within a list, an offer found "passt" should rank above every
offer of that list without a verdict, and those above every offer found "passt nicht" (the pairwise preferences
of Joachims 2002, from explicit verdicts); an offer with both verdicts in one list says nothing and is left out.
The weights minimise the pairwise logistic loss (as matcher.ranking.fit_pairwise) plus strength/2 * ||w - w0||^2,
w0 the current weights: with little feedback they stay where the shipped judgments put them. Each list weighs at
most one, however many verdicts it sent, so no one request can move the ranking.

The guard: lists are split by a fixed seed; the weights fitted on one part are adopted only when they order the
held-out lists' pairs better than the current weights, by more than twice the standard error of the per-list gain.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
from scipy.optimize import minimize

from ..model import SIGNALS, Weights
from ._store import StoredVerdict

PRIOR_STRENGTH = 3.0  # benchmarks/feedback.py: chosen on two collections' feedback, measured on the third
HELD_OUT_SHARE = 0.3
MIN_HELD_OUT_LISTS = 5


@dataclass(frozen=True)
class ListPairs:
    """One result list's preferences: signal differences (better minus worse) of its ordered pairs."""

    key: str
    diffs: np.ndarray  # (pairs, signals)
    verdicts: int


def list_pairs(stored: Sequence[StoredVerdict], names: Sequence[str] = SIGNALS) -> tuple[list[ListPairs], int]:
    """(the lists with at least one ordered pair, how many verdicts were left out: signals of another kind of
    model, or both verdicts on one offer of one list)."""
    groups: dict[str, list[StoredVerdict]] = {}
    skipped = 0
    for v in stored:
        if tuple(v.names) != tuple(names) or v.offer_id not in v.offers:
            skipped += 1
            continue
        groups.setdefault(v.list_key, []).append(v)
    out = []
    for key, given in groups.items():
        values: dict[str, np.ndarray] = {}
        for v in given:
            for offer_id, row in zip(v.offers, v.values):
                values.setdefault(offer_id, np.asarray(row, dtype=float))
        said: dict[str, set[bool]] = {}
        for v in given:
            said.setdefault(v.offer_id, set()).add(v.passt)
        contradicted = [o for o, s in said.items() if len(s) > 1]
        skipped += sum(1 for v in given if v.offer_id in contradicted)
        label = {o: 0 for o in values}
        label.update({o: (1 if True in s else -1) for o, s in said.items() if len(s) == 1})
        for o in contradicted:
            del label[o]
        ids = list(label)
        grades = np.array([label[o] for o in ids])
        better, worse = np.nonzero(grades[:, None] > grades[None, :])
        if len(better):
            rows = np.array([values[o] for o in ids])
            out.append(ListPairs(key, rows[better] - rows[worse], len(given)))
    return out, skipped


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
    verdicts: int  # verdicts used
    skipped: int
    lists: int
    held_out_lists: int
    before: float | None  # held-out pairwise accuracy of the current weights
    after: float | None  # and of the refitted ones

    def to_dict(self) -> dict:
        return {"adopted": self.adopted, "reason": self.reason, "verdicts": self.verdicts, "skipped": self.skipped,
                "lists": self.lists, "held_out_lists": self.held_out_lists, "held_out_accuracy_before": self.before,
                "held_out_accuracy_after": self.after}


def refit_weights(stored: Sequence[StoredVerdict], current: Weights, *, min_feedback: int = 30,
                  strength: float = PRIOR_STRENGTH, seed: int = 0) -> RefitOutcome:
    """The current weights refitted on the verdicts, or kept with the reason (too little feedback, no gain)."""
    lists, skipped = list_pairs(stored)
    used = sum(lp.verdicts for lp in lists)

    def keep(reason, held_out=0, before=None, after=None):
        return RefitOutcome(False, reason, current, used, skipped, len(lists), held_out, before, after)

    if used < min_feedback:
        return keep(f"too little feedback: {used} usable verdicts, {min_feedback} needed")
    order = np.random.default_rng(seed).permutation(len(lists))
    cut = int(round(len(lists) * HELD_OUT_SHARE))
    held_out, fitted_on = [lists[i] for i in order[:cut]], [lists[i] for i in order[cut:]]
    if len(held_out) < MIN_HELD_OUT_LISTS or not fitted_on:
        return keep(f"too few result lists to check a refit on: {len(lists)}, at least "
                    f"{int(np.ceil(MIN_HELD_OUT_LISTS / HELD_OUT_SHARE))} needed")
    start = np.array([getattr(current, n) for n in SIGNALS])
    fitted = fit_with_prior(fitted_on, start, strength)
    fitted *= np.linalg.norm(start) / max(np.linalg.norm(fitted), 1e-12)  # same scale: the calibration still holds
    before = np.array([pairwise_accuracy(lp, start) for lp in held_out])
    after = np.array([pairwise_accuracy(lp, fitted) for lp in held_out])
    gain = after - before
    se = gain.std(ddof=1) / np.sqrt(len(gain)) if len(gain) > 1 else np.inf
    b, a = round(float(before.mean()), 4), round(float(after.mean()), 4)
    if not gain.mean() > 2 * se:
        return keep(f"the refitted weights order the held-out lists no better: pairwise accuracy {a} against "
                    f"{b} now (gain {gain.mean():+.4f}, needed more than twice its standard error {se:.4f})",
                    len(held_out), b, a)
    new = replace(current, **{n: round(float(w), 4) for n, w in zip(SIGNALS, fitted)})
    return RefitOutcome(True, f"held-out pairwise accuracy {b} -> {a}", new, used, skipped, len(lists),
                        len(held_out), b, a)
