"""Selection: which offers to show, best first. Top k with ties broken on offer id (so runs agree), and near-
duplicates kept apart by maximal marginal relevance."""
from __future__ import annotations

import numpy as np

from ..model import OfferIndex, Weights

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
    rows = index.char_matrix[pool]
    similarity = (rows @ rows.T).toarray()
    duplicate = near_duplicates(similarity, index.providers[pool], weights.duplicate_same_provider,
                                weights.duplicate_any_provider)
    return pool[diversify(pool, scores, similarity, duplicate, k, weights.mmr_lambda, placed=len(above))]
