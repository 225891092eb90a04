"""The blend and the selection as pure functions: the structured signals of fit, standardisation, the
weighted sum, the score; then which offers to show, best first: top k with ties broken on offer id (so runs agree),
near-duplicates kept apart by maximal marginal relevance. Arrays in, arrays out; no I/O; inputs are never written."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..model import SIGNALS, TEXT_SIGNALS, OfferIndex, Weights


def spread_of(values: np.ndarray, mask: np.ndarray) -> tuple[float, float]:
    """(mean, standard deviation) of the values of the eligible offers; (0, 1) for none, a spread of 0 read as 1."""
    if not mask.any():
        return 0.0, 1.0
    chosen = values[mask].astype(np.float64)
    spread = chosen.std()
    return chosen.mean(), (spread if spread > 1e-9 else 1.0)


def standardise(values: np.ndarray, mask: np.ndarray, stats: np.ndarray | None = None) -> np.ndarray:
    """z-scores over the eligible offers, so a signal's weight means the same for short and long needs; stats: the
    offers whose mean and spread stand for all eligible ones (a team's first stage: its sample), else mask's."""
    if not mask.any():
        return np.zeros_like(values, dtype=np.float64)
    mean, spread = spread_of(values, mask if stats is None else stats)
    return np.where(mask, (values.astype(np.float64) - mean) / spread, 0.0)  # elementwise: as if masked first


def standardise_signals(signals: dict[str, np.ndarray], mask: np.ndarray,
                        stats: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """One profile's signals ready to blend: text signals z-scored over the eligible offers, the rest as they are."""
    return {name: standardise(signals[name], mask, stats) if name in TEXT_SIGNALS else signals[name]
            for name in SIGNALS}


def standardise_by(signals: dict[str, np.ndarray], spreads: dict[str, tuple[float, float]]) -> dict[str, np.ndarray]:
    """standardise_signals with each text signal's (mean, spread) given: the first stage estimates them over a
    sample of the eligible offers and scores its candidates only."""
    return {name: (signals[name].astype(np.float64) - spreads[name][0]) / spreads[name][1]
            if name in TEXT_SIGNALS else signals[name] for name in SIGNALS}


def role_fit(role_targets: np.ndarray, role_index: int | Sequence[int] | None) -> np.ndarray:
    """1 where the offer names the person's role (or one of their two), else 0; all 0 when the role is unknown."""
    indices = [] if role_index is None else np.atleast_1d(role_index)
    if not len(indices):
        return np.zeros(len(role_targets))
    return role_targets[:, indices].any(axis=1).astype(float)


def field_fit(field_matrix: np.ndarray, field_weight: np.ndarray) -> np.ndarray:
    """Best weight among each offer's fields (1 for a field the person named, a probability for an inferred one)."""
    out = np.zeros(len(field_matrix))
    for f in np.flatnonzero(field_weight > 0):  # a field at a time: a fifth of the time of one max over a product
        np.maximum(out, field_matrix[:, f] * field_weight[f], out=out)
    return out


def format_fit(formats: np.ndarray, preference: str | None) -> np.ndarray:
    """1 for the preferred format, 0.5 where a hybrid offer or a hybrid preference meets half-way, else 0.

    An offer whose format is not given ("") also gets 0.5: unknown is neither a match nor a mismatch.
    """
    if preference is None:
        return np.zeros(len(formats))
    exact = formats == preference
    half = (formats == "hybrid") | (preference == "hybrid") | (formats == "")
    return np.where(exact, 1.0, np.where(half, 0.5, 0.0))


def calibrated(blended: np.ndarray | float, weights: Weights):
    """The blend as a score in (0, 1): the estimated chance that a person would rate the offer useful."""
    return 1.0 / (1.0 + np.exp(-(weights.score_scale * blended + weights.score_shift)))


def blend(signals: dict[str, np.ndarray], weights: Weights) -> np.ndarray:
    """Weighted sum of the signals; text signals are expected standardised already."""
    total = np.zeros(len(next(iter(signals.values()))))
    for name, values in signals.items():
        total += getattr(weights, name) * values
    return total


# Selection: which offers to show, best first. Top k with ties broken on offer id (so runs agree), and near-
# duplicates kept apart by maximal marginal relevance.

POOL_FACTOR = 4  # diversification picks from this many times top_k candidates


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
    chosen, duplicates = _marginal_relevance(ranked, scores, similarity, duplicate, k, lam, placed)
    return np.array((chosen + duplicates)[:k], dtype=int)


def _marginal_relevance(ranked, scores, similarity, duplicate, k, lam, placed) -> tuple[list[int], list[int]]:
    """(the chosen, the near-duplicates held back), positions into `ranked`, each best first."""
    n = len(ranked)
    if n <= placed:
        return [], []
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
    return chosen[placed:], duplicates


def _diversified(index: OfferIndex, pool: np.ndarray, scores: np.ndarray, k: int, weights: Weights,
                 placed: int) -> tuple[np.ndarray, int]:
    """(positions of the offers to show, how many of them copy none shown before them) from the ranked pool."""
    rows = index.char_matrix[pool]
    similarity = (rows @ rows.T).toarray()
    duplicate = near_duplicates(similarity, index.providers[pool], weights.duplicate_same_provider,
                                weights.duplicate_any_provider)
    chosen, duplicates = _marginal_relevance(pool, scores, similarity, duplicate, k, weights.mmr_lambda, placed)
    return pool[np.array((chosen + duplicates)[:k], dtype=int)], len(chosen)


def select(index: OfferIndex, scores: np.ndarray, mask: np.ndarray, k: int, weights: Weights,
           diversified: bool = True, above: np.ndarray | None = None) -> np.ndarray:
    """Positions of the k offers to show, best first: top k by score among mask, near-duplicates kept apart.

    above: offers already shown above these k; they are left out and, when diversified, their near-duplicates
    held back.
    """
    above = np.zeros(0, dtype=int) if above is None else np.asarray(above, dtype=int)
    mask = mask.copy()
    mask[above] = False
    if not mask.any():
        return np.zeros(0, dtype=int)
    if not diversified:
        return top_k(scores, index.ids, k, mask)
    pool = np.concatenate([above, top_k(scores, index.ids, min(k * POOL_FACTOR, int(mask.sum())), mask)])
    head = len(above) + 2 * k
    if weights.mmr_lambda == 1.0 and len(pool) > head:
        # pure relevance: the first k offers that copy none shown above them, so the similarities of the pool's head
        # decide unless it holds fewer than k such (each is the same number in any subset: a row's own sums)
        shown, distinct = _diversified(index, pool[:head], scores, k, weights, len(above))
        if distinct == k:
            return shown
    return _diversified(index, pool, scores, k, weights, len(above))[0]
