"""Ranking quality metrics over graded judgments (grades 0-3).

    NDCG@k   = DCG@k / IDCG@k,  DCG@k = sum_{i<=k} (2^g_i - 1) / log2(i + 1)   (Järvelin & Kekäläinen 2002)
    recall@k = |relevant in top k| / |relevant|,  relevant = grade >= RELEVANT
    MRR      = 1 / rank of the first relevant offer (0 if none in the list)
"""
from __future__ import annotations

import numpy as np

RELEVANT = 2  # binary metrics count "clearly useful" (2) and "exactly right" (3)


# LOW LEVEL

def _dcg(gains: np.ndarray) -> float:
    discounts = np.log2(np.arange(2, len(gains) + 2))
    return float(((2.0 ** gains - 1) / discounts).sum())


# HIGH LEVEL

def ndcg_at_k(ranked: list[str], grades: dict[str, int], k: int = 10) -> float:
    """NDCG@k of a ranked list of ids; unjudged ids have grade 0. 0.0 when nothing is relevant at all.

    Parameters
    ----------
    grades : judged grades by id; the ideal ordering is taken over all of them, not only those ranked.
    """
    ideal = np.array(sorted(grades.values(), reverse=True)[:k], dtype=float)
    idcg = _dcg(ideal)
    if idcg == 0:
        return 0.0
    gained = np.array([grades.get(i, 0) for i in ranked[:k]], dtype=float)
    return _dcg(gained) / idcg


def recall_at_k(ranked: list[str], grades: dict[str, int], k: int = 10, relevant: int = RELEVANT) -> float:
    """Share of the relevant ids (grade >= relevant) found in the top k; 0.0 when none is relevant."""
    wanted = {i for i, g in grades.items() if g >= relevant}
    if not wanted:
        return 0.0
    return len(wanted.intersection(ranked[:k])) / len(wanted)


def reciprocal_rank(ranked: list[str], grades: dict[str, int], relevant: int = RELEVANT) -> float:
    """1 / rank of the first relevant id; 0.0 when no relevant id is ranked."""
    for rank, offer_id in enumerate(ranked, start=1):
        if grades.get(offer_id, 0) >= relevant:
            return 1.0 / rank
    return 0.0
