"""Measuring and fitting the ranking: metrics over graded judgments, and the pairwise fit of the
blend's weights on them."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from ..model import SIGNALS, Weights
from ._blend import blend, standardise_signals, top_k


# Ranking quality metrics over graded judgments (grades 0-3).
#
# NDCG@k   = DCG@k / IDCG@k,  DCG@k = sum_{i<=k} (2^g_i - 1) / log2(i + 1)   (Järvelin & Kekäläinen 2002)
# recall@k = |relevant in top k| / |relevant|,  relevant = grade >= RELEVANT
# MRR      = 1 / rank of the first relevant offer (0 if none in the list)

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


# Blend weights learned from graded judgments: a pairwise linear ranker and the score calibration.
#
# For every labeled profile, each pair of eligible offers with different grades is one example: the difference of
# their standardised signals, labeled by which offer was graded higher. A logistic regression without intercept on
# these differences (the linear RankNet of Burges et al. 2005, the pairwise transform of Herbrich et al. 1999) gives
# one weight per signal, so the blend stays a weighted sum that the engine computes and explains as before.

MAX_PAIRS = 400  # per profile, so that a profile with many judged offers does not outweigh the others
CALIBRATION_DEPTH = 50  # the score is calibrated on each profile's top 50 by the fitted blend


def profile_pairs(signals: dict[str, np.ndarray], grades: np.ndarray, mask: np.ndarray, names: Sequence[str],
                  rng: np.random.Generator, max_pairs: int = MAX_PAIRS) -> np.ndarray:
    """Signal differences (better minus worse) of up to max_pairs offer pairs with different grades."""
    eligible = np.flatnonzero(mask)
    graded = grades[eligible]
    better, worse = np.nonzero(graded[:, None] > graded[None, :])
    if len(better) > max_pairs:
        keep = rng.choice(len(better), max_pairs, replace=False)
        better, worse = better[keep], worse[keep]
    features = np.column_stack([signals[n][eligible] for n in names])
    return features[better] - features[worse]


def fit_pairwise(examples: Sequence[tuple[dict, np.ndarray, np.ndarray]], names: Sequence[str] = SIGNALS, *,
                 C: float = 1.0, seed: int = 0) -> dict[str, float]:
    """One weight per signal name from (standardised signals, grades, eligible mask) per labeled profile."""
    rng = np.random.default_rng(seed)
    diffs = [d for d in (profile_pairs(s, g, m, names, rng) for s, g, m in examples) if len(d)]
    if not diffs:
        raise ValueError("no offer pairs with different grades: the judgments cannot teach an order")
    diffs = np.vstack(diffs)
    # each pair both ways round, so the classes balance and the fit needs no intercept
    x = np.vstack([diffs, -diffs])
    y = np.r_[np.ones(len(diffs)), np.zeros(len(diffs))]
    from sklearn.linear_model import LogisticRegression  # fitting only: scoring never imports scikit-learn
    fitted = LogisticRegression(C=C, fit_intercept=False, max_iter=5000).fit(x, y)
    return {n: float(w) for n, w in zip(names, fitted.coef_[0])}


def calibrate(examples: Sequence[tuple[dict, np.ndarray, np.ndarray]], weights: Weights,
              depth: int = CALIBRATION_DEPTH) -> tuple[float, float]:
    """(scale, shift) so that sigmoid(scale * blend + shift) estimates P(grade >= RELEVANT) near the top."""
    x, y = [], []
    for signals, grades, mask in examples:
        scores = blend(signals, weights)
        shown = top_k(scores, np.arange(len(scores)), depth, mask)
        x.append(scores[shown])
        y.append(grades[shown] >= RELEVANT)
    x, y = np.concatenate(x), np.concatenate(y)
    if y.all() or not y.any():
        return weights.score_scale, weights.score_shift
    from sklearn.linear_model import LogisticRegression
    fitted = LogisticRegression(C=100.0).fit(x[:, None], y)
    return float(fitted.coef_[0, 0]), float(fitted.intercept_[0])


def fit_weights(rows: Sequence[dict[str, np.ndarray]], grades: Sequence[np.ndarray], masks: Sequence[np.ndarray],
                start: Weights, names: Sequence[str] = SIGNALS, *, C: float = 1.0) -> Weights:
    """start with the named signal weights learned from the judgments and the score calibrated; the rest kept.

    Parameters
    ----------
    rows : each labeled profile's raw signals (PersonSignals.raw of ranking.score), one array per signal over all offers.
    grades : each profile's grade per offer (0 where not judged), aligned with the offers.
    masks : each profile's eligible offers (region, expiry); only they form pairs.
    names : the signals to learn; the others keep their weight in start (0 switches a signal off).
    """
    examples = [(standardise_signals(r, m), np.asarray(g), m) for r, g, m in zip(rows, grades, masks)]
    learned = replace(start, **fit_pairwise(examples, names, C=C))
    scale, shift = calibrate(examples, learned)
    return replace(learned, score_scale=round(scale, 4), score_shift=round(shift, 4))
