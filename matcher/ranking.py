"""Ranking math as pure functions: signals of fit, their blend, hard rules, top k and diversification.

Arrays in, arrays out; no I/O; inputs are never written. Ties always break on offer id, so runs agree.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, fields, replace

import numpy as np


@dataclass(frozen=True)
class Weights:
    """How much each signal counts. Text signals are standardised per query, structured ones lie in [0, 1].

    The defaults are learned from the judgments of both labeled collections by a pairwise linear ranker
    (matcher/tuning.py, benchmarks/tune.py); benchmarks/results.md shows how weights learned on one collection do
    on the other. A user with judgments of their own may fit others (tuning.fit_weights) and pass them to fit_model.
    """

    word: float = 0.186  # stemmed word TF-IDF cosine of the needs, z-scored
    char: float = -0.092  # character n-gram TF-IDF cosine of the needs, z-scored (title carries it)
    title: float = 0.771  # character n-grams of job title and needs together, z-scored (the title says what fits)
    semantic: float = 1.066  # sentence-encoder cosine of the needs, z-scored
    role: float = 1.297  # offer names the person's role (either of two)
    open: float = 1.241  # offer is open to all roles
    field: float = 2.58  # offer's fields meet the person's (given, or inferred with probability)
    format: float = 0.418  # soft preference, never a filter
    mmr_lambda: float = 0.8  # relevance vs. novelty in maximal marginal relevance
    duplicate_same_provider: float = 0.35  # character TF-IDF cosine: another edition of one provider's offer
    duplicate_any_provider: float = 0.6  # character TF-IDF cosine: a copied listing of another provider
    score_scale: float = 0.777  # score = sigmoid(scale * blend + shift) estimates P(grade >= 2),
    score_shift: float = -7.086  # fitted by logistic regression on the labeled top 50s

    def without(self, *names: str) -> "Weights":
        return replace(self, **{n: 0.0 for n in names})

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> "Weights":
        known = {f.name for f in fields(cls)}
        return cls(**{k: float(v) for k, v in values.items() if k in known})


DEFAULT_WEIGHTS = Weights()
# Used when the semantic encoder cannot load: tuned the same way with the semantic signal off.
LEXICAL_WEIGHTS = Weights(word=0.281, char=0.171, title=0.795, semantic=0.0, role=1.287, open=1.282, field=3.058,
                          format=0.395, mmr_lambda=0.8, score_scale=0.775, score_shift=-6.732)

TEXT_SIGNALS = ("word", "char", "title", "semantic")
STRUCTURED_SIGNALS = ("role", "open", "field", "format")
SIGNALS = (*TEXT_SIGNALS, *STRUCTURED_SIGNALS)


def standardise(values: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """z-scores over the eligible offers, so a signal's weight means the same for short and long needs."""
    out = np.zeros_like(values, dtype=np.float64)
    if mask.any():
        chosen = values[mask].astype(np.float64)
        spread = chosen.std()
        out[mask] = (chosen - chosen.mean()) / (spread if spread > 1e-9 else 1.0)
    return out


def standardise_signals(signals: dict[str, np.ndarray], mask: np.ndarray) -> dict[str, np.ndarray]:
    """One profile's signals ready to blend: text signals z-scored over the eligible offers, the rest as they are."""
    return {name: standardise(signals[name], mask) if name in TEXT_SIGNALS else signals[name] for name in SIGNALS}


def role_fit(role_targets: np.ndarray, role_index: int | Sequence[int] | None) -> np.ndarray:
    """1 where the offer names the person's role (or one of their two), else 0; all 0 when the role is unknown."""
    indices = [] if role_index is None else np.atleast_1d(role_index)
    if not len(indices):
        return np.zeros(len(role_targets))
    return role_targets[:, indices].any(axis=1).astype(float)


def field_fit(field_matrix: np.ndarray, field_weight: np.ndarray) -> np.ndarray:
    """Best weight among each offer's fields (1 for a field the person named, a probability for an inferred one)."""
    return (field_matrix * field_weight[None, :]).max(axis=1, initial=0.0)


def format_fit(formats: np.ndarray, preference: str | None) -> np.ndarray:
    """1 for the preferred format, 0.5 where a hybrid offer or a hybrid preference meets half-way, else 0."""
    if preference is None:
        return np.zeros(len(formats))
    exact = formats == preference
    half = (formats == "hybrid") | (preference == "hybrid")
    return np.where(exact, 1.0, np.where(half, 0.5, 0.0))


def eligible(regions: np.ndarray, expiry_ordinals: np.ndarray, region: str | None, today_ordinal: int) -> np.ndarray:
    """The hard rules: offers of another state and expired offers never qualify."""
    ok = expiry_ordinals >= today_ordinal
    if region is not None:
        ok &= (regions == "bund") | (regions == region)
    return ok


def calibrated(blended: np.ndarray | float, weights: Weights):
    """The blend as a score in (0, 1): the estimated chance that a person would rate the offer useful."""
    return 1.0 / (1.0 + np.exp(-(weights.score_scale * blended + weights.score_shift)))


def blend(signals: dict[str, np.ndarray], weights: Weights) -> np.ndarray:
    """Weighted sum of the signals; text signals are expected standardised already."""
    total = np.zeros(len(next(iter(signals.values()))))
    for name, values in signals.items():
        total += getattr(weights, name) * values
    return total


def top_k(scores: np.ndarray, offer_ids: np.ndarray, k: int, mask: np.ndarray | None = None) -> np.ndarray:
    """Positions of the k best offers (among mask), best first; equal scores go to the smaller id."""
    candidates = np.flatnonzero(mask) if mask is not None else np.arange(len(scores))
    if k < len(candidates):
        # keep every offer tied with the k-th score, so the id tie-break sees all of them
        kth = np.partition(-scores[candidates], k - 1)[k - 1]
        candidates = candidates[-scores[candidates] <= kth]
    order = np.lexsort((offer_ids[candidates].astype(str), -scores[candidates]))  # last key sorts first
    return candidates[order][:k]


def near_duplicates(similarity: np.ndarray, providers: np.ndarray, same_provider: float,
                    any_provider: float) -> np.ndarray:
    """Bool matrix: pairs similar enough to be one offer twice (a second edition, a copied listing)."""
    same = providers[:, None] == providers[None, :]
    dup = np.where(same, similarity >= same_provider, similarity >= any_provider)
    np.fill_diagonal(dup, False)
    return dup


def diversify(ranked: np.ndarray, scores: np.ndarray, similarity: np.ndarray, duplicate: np.ndarray, k: int,
              lam: float, placed: int = 0) -> np.ndarray:
    """Maximal marginal relevance (Carbonell & Goldstein 1998) over a ranked candidate list.

    similarity[i, j] and duplicate[i, j] are between ranked[i] and ranked[j]. Near-duplicates of a chosen
    offer only fill places left over at the end. The first `placed` entries are already shown above the list:
    they count as chosen but are not returned. Returns positions into `ranked`, best first.
    """
    n = len(ranked)
    if n <= placed:
        return np.zeros(0, dtype=int)
    relevance = scores[ranked]
    low, spread = relevance[placed:].min(), np.ptp(relevance[placed:])
    relevance = (relevance - low) / (spread if spread > 0 else 1.0)
    chosen: list[int] = list(range(placed))
    duplicates: list[int] = []
    left = np.arange(n) >= placed
    max_sim = similarity[:placed].max(axis=0, initial=0.0)
    shadowed = duplicate[:placed].any(axis=0)  # near-duplicate of an offer already chosen
    while len(chosen) < min(k + placed, n) and left.any():
        mmr = np.where(left, lam * relevance - (1 - lam) * max_sim, -np.inf)
        best = int(np.argmax(mmr))  # argmax takes the first of equals: ranked order already breaks ties by id
        left[best] = False
        if shadowed[best]:
            duplicates.append(best)
            continue
        chosen.append(best)
        max_sim = np.maximum(max_sim, similarity[best])
        shadowed |= duplicate[best]
    return np.array((chosen[placed:] + duplicates)[:k], dtype=int)
