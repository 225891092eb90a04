"""Tune the blend weights on all labeled profiles (coordinate ascent on NDCG@10) and calibrate the score.

The printed weights are the package defaults (matcher/ranking.py, Weights); quality.py reports how weights
tuned this way do on profiles they were not tuned on (5-fold cross-validation).

    python benchmarks/tune.py
"""
from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression

sys.path.insert(0, str(Path(__file__).resolve().parent))

from evaluate import Bench, coordinate_ascent  # noqa: E402
from labeled import CATALOG, load_judgments, load_profiles  # noqa: E402

from matcher.catalog import read_catalog  # noqa: E402
from matcher.engine import rank  # noqa: E402
from matcher.metrics import RELEVANT  # noqa: E402
from matcher.model import fit_model  # noqa: E402


def calibration(bench: Bench, weights) -> tuple[float, float]:
    """(scale, shift) so that sigmoid(scale * blend + shift) estimates P(grade >= RELEVANT) in a top 50."""
    x, y = [], []
    for i in bench.judged():
        p = bench.profiles[i]
        chosen, scores, _ = rank(bench.model, p.region, bench.rows[i], 50, bench.today, weights, False)
        grades = bench.grades[p.id]
        x += [scores[j] for j in chosen]
        y += [grades.get(bench.model.offer_ids[j], 0) >= RELEVANT for j in chosen]
    fit = LogisticRegression(C=100.0).fit(np.array(x)[:, None], np.array(y))
    return float(fit.coef_[0, 0]), float(fit.intercept_[0])


def main() -> None:
    offers, _ = read_catalog(CATALOG)
    model = fit_model(offers)
    profiles, _ = load_profiles()
    bench = Bench(model, profiles, load_judgments())
    everyone = bench.judged()
    weights, score = coordinate_ascent(bench, model.weights, everyone)
    print(f"tuned on {len(everyone)} profiles: NDCG@10 {score:.3f} (without diversification)")
    best_lambda = max((0.7, 0.8, 0.85, 0.9, 0.95, 1.0),
                      key=lambda lam: (bench.metrics(bench.engine(replace(weights, mmr_lambda=lam)))["ndcg@10"], lam))
    weights = replace(weights, mmr_lambda=best_lambda)
    print(f"with diversification (mmr_lambda={best_lambda}): "
          f"NDCG@10 {bench.metrics(bench.engine(weights))['ndcg@10']:.3f}")
    scale, shift = calibration(bench, weights)
    print("Weights:", replace(weights, score_scale=round(scale, 3), score_shift=round(shift, 3)))

    # Without the encoder (it failed to load) the lexical signals must carry the ranking on their own.
    lexical, score = coordinate_ascent(bench, replace(weights, semantic=0.0, char=1.0), everyone)
    scale, shift = calibration(bench, lexical)
    print(f"lexical-only fallback: NDCG@10 {score:.3f} (without diversification)")
    print("LEXICAL_WEIGHTS:", replace(lexical, score_scale=round(scale, 3), score_shift=round(shift, 3)))


if __name__ == "__main__":
    main()
