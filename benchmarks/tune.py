"""Fit the shipped blend weights on every labeled collection (pairwise, matcher/ranking/_tuning.py) and calibrate the
score; the printed weights are the package defaults (matcher/ranking/_blend.py, DEFAULT_WEIGHTS and LEXICAL_WEIGHTS).

quality.py reports how weights fitted this way do on a collection they were not fitted on.

    python benchmarks/tune.py
"""
from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from evaluate import MMR_LAMBDAS, load_benches  # noqa: E402
from labeled import COLLECTIONS  # noqa: E402

from matcher.model import DEFAULT_WEIGHTS, SIGNALS  # noqa: E402
from matcher.ranking import fit_weights  # noqa: E402


def fit_on_all(benches, start, names):
    """One fit on every collection's labeled profiles together, then the diversification that does best on all."""
    rows, grades, masks = [], [], []
    for b in benches.values():
        for i in b.judged():
            rows.append(b.rows[i]), grades.append(b.grade_rows[i]), masks.append(b.masks[i])
    weights = fit_weights(rows, grades, masks, start, names)

    def ndcg(w):
        return sum(b.metrics(b.engine(w))["ndcg@10"] * len(b.judged()) for b in benches.values()) / len(rows)
    best = max((replace(weights, mmr_lambda=lam) for lam in MMR_LAMBDAS), key=lambda w: (ndcg(w), w.mmr_lambda))
    return best, ndcg(best)


def rounded(weights):
    return replace(weights, **{k: round(v, 3) for k, v in weights.to_dict().items()})


def main() -> None:
    benches = load_benches(COLLECTIONS)
    weights, score = fit_on_all(benches, DEFAULT_WEIGHTS, list(SIGNALS))
    print(f"fitted on {', '.join(benches)}: NDCG@10 {score:.3f} (in-sample)")
    print("DEFAULT_WEIGHTS =", rounded(weights))
    # Without the encoder (it failed to load) the lexical signals must carry the ranking on their own.
    lexical, score = fit_on_all(benches, replace(DEFAULT_WEIGHTS, semantic=0.0),
                                [s for s in SIGNALS if s != "semantic"])
    print(f"lexical-only fallback: NDCG@10 {score:.3f} (in-sample)")
    print("LEXICAL_WEIGHTS =", rounded(lexical))


if __name__ == "__main__":
    main()
