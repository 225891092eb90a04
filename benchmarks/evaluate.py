"""Shared evaluation: signals computed once per profile, then any weighting or baseline ranked and scored."""
from __future__ import annotations

from dataclasses import replace

import numpy as np

from matcher.engine import rank, score_signals
from matcher.metrics import ndcg_at_k, recall_at_k, reciprocal_rank
from matcher.ranking import eligible

from labeled import TODAY

K = 10


class Bench:
    def __init__(self, model, profiles, grades):
        self.model, self.profiles, self.grades = model, profiles, grades
        signals = score_signals(model, profiles)
        self.interpretations = signals.pop("interpretations")
        self.rows = [{name: values[i] for name, values in signals.items()} for i in range(len(profiles))]
        self.today = TODAY.toordinal()
        self.masks = [eligible(model.regions, model.expiry_ordinals, p.region, self.today) for p in profiles]

    def engine(self, weights, diversified=True, subset=None) -> dict[str, list[str]]:
        ids = self.model.offer_ids
        out = {}
        for i in subset if subset is not None else range(len(self.profiles)):
            chosen, _, _ = rank(self.model, self.profiles[i].region, self.rows[i], K, self.today, weights,
                                diversified)
            out[self.profiles[i].id] = [ids[j] for j in chosen]
        return out

    def from_scores(self, scores: np.ndarray) -> dict[str, list[str]]:
        """Rank by a baseline's scores under the same hard rules (region, expiry), ties by id."""
        ids = self.model.offer_ids
        out = {}
        for i, p in enumerate(self.profiles):
            cand = np.flatnonzero(self.masks[i])
            order = np.lexsort((ids[cand].astype(str), -scores[i, cand]))
            out[p.id] = [ids[j] for j in cand[order][:K]]
        return out

    def judged(self, subset=None) -> list[int]:
        """Profiles with at least one relevant offer (NDCG is undefined otherwise)."""
        idx = range(len(self.profiles)) if subset is None else subset
        return [i for i in idx if any(g > 0 for g in self.grades.get(self.profiles[i].id, {}).values())]

    def metrics(self, ranked: dict[str, list[str]], subset=None) -> dict[str, float]:
        idx = self.judged(subset)
        rows = [(ndcg_at_k(ranked[self.profiles[i].id], self.grades[self.profiles[i].id], K),
                 recall_at_k(ranked[self.profiles[i].id], self.grades[self.profiles[i].id], K),
                 reciprocal_rank(ranked[self.profiles[i].id], self.grades[self.profiles[i].id])) for i in idx]
        arr = np.array(rows) if rows else np.zeros((1, 3))
        return {"ndcg@10": arr[:, 0].mean(), "recall@10": arr[:, 1].mean(), "mrr": arr[:, 2].mean(), "n": len(idx)}

    def ndcg(self, weights, subset) -> float:
        return self.metrics(self.engine(weights, diversified=False, subset=subset), subset)["ndcg@10"]


GRID = (0.0, 0.1, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0)
TUNED = ("word", "char", "role", "open", "field", "format")  # semantic stays as given: the scale is free


def coordinate_ascent(bench: Bench, start, subset, rounds: int = 3):
    """Weights that maximise mean NDCG@10 on `subset`, one weight at a time (Metzler & Croft 2007)."""
    best, best_score = start, bench.ndcg(start, subset)
    for _ in range(rounds):
        improved = False
        for name in TUNED:
            for value in GRID:
                trial = replace(best, **{name: value})
                score = bench.ndcg(trial, subset)
                if score > best_score + 1e-9:
                    best, best_score, improved = trial, score, True
        if not improved:
            break
    return best, best_score


def cross_validate(bench: Bench, start, folds: int = 5, seed: int = 0):
    """Mean test NDCG@10 over folds, each fold's weights tuned on the other folds only; and the fold weights."""
    idx = np.array(bench.judged())
    rng = np.random.default_rng(seed)
    rng.shuffle(idx)
    parts = np.array_split(idx, folds)
    ranked, fold_weights = {}, []
    for f in range(folds):
        train = [int(i) for g, part in enumerate(parts) if g != f for i in part]
        weights, _ = coordinate_ascent(bench, start, train)
        fold_weights.append(weights)
        ranked.update(bench.engine(weights, subset=[int(i) for i in parts[f]]))
    return ranked, fold_weights
