"""Shared evaluation: one collection's model and signals computed once, then any weighting or baseline ranked
and scored, by segment."""
from __future__ import annotations

from dataclasses import replace

import numpy as np

from matcher.core import PLANNING_SIDE
from matcher.io import read_catalog
from matcher.model import fit_model
from matcher.ranking import fit_weights, ndcg_at_k, rank, recall_at_k, reciprocal_rank, score, top_k
from matcher.text import default_encoder

from labeled import load_judgments, load_profiles

K = 10
LONG_NEEDS = 600  # characters: motions, Beschlussvorlagen, concept papers and job descriptions are longer


class MemoEncoder:
    """The engine's encoder, each text encoded once per run (the engine and the encoder-alone baseline share)."""

    def __init__(self, encoder):
        self.encoder, self.name, self.memo = encoder, encoder.name, {}

    def _encode(self, texts, kind, encode):
        missing = list(dict.fromkeys(t for t in texts if (kind, t) not in self.memo))
        if missing:
            self.memo.update(zip(((kind, t) for t in missing), encode(missing)))
        return np.array([self.memo[kind, t] for t in texts]).reshape(len(texts), -1)

    def encode_queries(self, texts):
        return self._encode(texts, "q", self.encoder.encode_queries)

    def encode_passages(self, texts):
        return self._encode(texts, "p", self.encoder.encode_passages)


class Bench:
    """One labeled collection: its catalog's model, the profiles' signals, grades and segments."""

    def __init__(self, collection, encoder):
        self.name = collection.name
        self.offers, problems = read_catalog(collection.catalog)
        if problems:
            raise ValueError(f"{collection.catalog}: {problems[:3]}")
        self.model = fit_model(self.offers, encoder=encoder)
        self.profiles, self.raws = load_profiles(collection.profiles)
        self.grades = load_judgments(collection.judgments)
        self.people = score(self.model, self.profiles)
        self.interpretations = [person.interpretation for person in self.people]
        self.rows = [person.raw for person in self.people]
        self.today = collection.today.toordinal()
        self.masks = [self.model.eligible(p.region, self.today) for p in self.profiles]
        ids = self.model.offer_ids
        self.grade_rows = [np.array([self.grades.get(p.id, {}).get(i, 0) for i in ids]) for p in self.profiles]

    def subsets(self) -> dict[str, list[int] | None]:
        planning = {i for i, r in enumerate(self.raws) if r["gold_role"] in PLANNING_SIDE}
        long_ = {i for i, p in enumerate(self.profiles) if len(p.needs) >= LONG_NEEDS}
        every = set(range(len(self.profiles)))
        return {"all": None, "planning": sorted(planning), "frontline": sorted(every - planning),
                "long needs": sorted(long_), "short needs": sorted(every - long_),
                "planning, long": sorted(planning & long_), "frontline, long": sorted(long_ - planning),
                "planning, short": sorted(planning - long_), "frontline, short": sorted(every - planning - long_),
                "no fields given": [i for i, r in enumerate(self.raws) if not r.get("fields")]}

    def gold_roles(self) -> list[tuple[str, ...]]:
        return [tuple(r.get("gold_roles") or [r["gold_role"]]) for r in self.raws]

    def engine(self, weights, diversified=True, subset=None) -> dict[str, list[str]]:
        ids = self.model.offer_ids
        out = {}
        for i in subset if subset is not None else range(len(self.profiles)):
            ranking = rank(self.model, self.people[i], K, self.today, weights, diversified)
            out[self.profiles[i].id] = [ids[j] for j in ranking.chosen]
        return out

    def from_scores(self, scores: np.ndarray) -> dict[str, list[str]]:
        """Rank by a baseline's scores under the same hard rules (region, expiry), ties by id."""
        ids = self.model.offer_ids
        return {p.id: [ids[j] for j in top_k(scores[i], ids, K, self.masks[i])] for i, p in enumerate(self.profiles)}

    def judged(self, subset=None) -> list[int]:
        """Profiles with at least one relevant offer (NDCG is undefined otherwise)."""
        idx = range(len(self.profiles)) if subset is None else subset
        return [i for i in idx if any(g > 0 for g in self.grades.get(self.profiles[i].id, {}).values())]

    def examples(self, subset=None) -> tuple[list, list, list]:
        """(signals, grades, masks) of the judged profiles of subset: what a fit learns from."""
        idx = self.judged(subset)
        return [self.rows[i] for i in idx], [self.grade_rows[i] for i in idx], [self.masks[i] for i in idx]

    def fit(self, start, names, subset=None, **options):
        """Weights learned from this collection's judgments (of subset), for ranking another collection."""
        return fit_weights(*self.examples(subset), start, names, **options)

    def per_profile(self, ranked: dict[str, list[str]], subset=None) -> np.ndarray:
        """NDCG@10 of each judged profile of subset, in order: the paired comparisons use it."""
        return np.array([ndcg_at_k(ranked[self.profiles[i].id], self.grades[self.profiles[i].id], K)
                         for i in self.judged(subset)])

    def metrics(self, ranked: dict[str, list[str]], subset=None) -> dict[str, float]:
        idx = self.judged(subset)
        rows = [(ndcg_at_k(ranked[self.profiles[i].id], self.grades[self.profiles[i].id], K),
                 recall_at_k(ranked[self.profiles[i].id], self.grades[self.profiles[i].id], K),
                 reciprocal_rank(ranked[self.profiles[i].id], self.grades[self.profiles[i].id])) for i in idx]
        arr = np.array(rows) if rows else np.zeros((1, 3))
        return {"ndcg@10": arr[:, 0].mean(), "recall@10": arr[:, 1].mean(), "mrr": arr[:, 2].mean(), "n": len(idx)}


def load_benches(collections) -> dict[str, Bench]:
    encoder = MemoEncoder(default_encoder())
    return {c.name: Bench(c, encoder) for c in collections}


def cross_validate(bench: Bench, start, names, folds: int = 5, seed: int = 0):
    """In-sample reference: each fold ranked with weights learned on the other folds of the same collection."""
    idx = np.array(bench.judged())
    np.random.default_rng(seed).shuffle(idx)
    parts = np.array_split(idx, folds)
    ranked = {}
    for f in range(folds):
        train = [int(i) for g, part in enumerate(parts) if g != f for i in part]
        ranked.update(bench.engine(bench.fit(start, names, train), subset=[int(i) for i in parts[f]]))
    return ranked


MMR_LAMBDAS = (0.8, 0.9, 1.0)
STRENGTHS = (0.01, 0.1, 1.0)  # C of the pairwise fit: smaller keeps the weights nearer the start


def fit_on(benches, start, names, C: float = 1.0):
    """Weights learned from the judgments of several collections at once."""
    parts = [b.examples() for b in benches]
    return fit_weights(*[sum((list(p[i]) for p in parts), []) for i in range(3)], start, names, C=C)


def worst(benches, weights) -> float:
    return min(b.metrics(b.engine(weights))["ndcg@10"] for b in benches)


def fit_engine(train, start, names):
    """What the engine learns from the training collections' judgments: signal weights and calibration (pairwise,
    see matcher/ranking/_tuning.py), the fit's strength and the diversification setting.

    Chosen for the worst case: with two or more training collections, each setting is fitted on all of them but one
    and measured on that one, in turn, and the setting whose lowest figure is highest wins (ties: the weaker fit,
    then more diversification); then it is fitted on all of them.
    """
    train = list(train) if isinstance(train, (list, tuple)) else [train]
    fits = {}

    def fitted(C, on):
        if (C, on) not in fits:
            fits[C, on] = fit_on([b for b in train if b.name in on], start, names, C)
        return fits[C, on]

    def inner(C, lam):
        if len(train) < 2:
            everyone = tuple(b.name for b in train)
            return worst(train, replace(fitted(C, everyone), mmr_lambda=lam))
        return min(worst([b], replace(fitted(C, tuple(o.name for o in train if o is not b)), mmr_lambda=lam))
                   for b in train)
    C, lam = max(((C, lam) for C in STRENGTHS for lam in MMR_LAMBDAS),
                 key=lambda setting: (round(inner(*setting), 4), -setting[0], -setting[1]))
    return replace(fitted(C, tuple(b.name for b in train)), mmr_lambda=lam)
