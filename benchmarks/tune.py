"""Fit the shipped blend weights on every labeled collection (pairwise, matcher/ranking/_tuning.py), with the fit's
strength and the diversification chosen for the worst collection held out of the others (evaluate.fit_engine), and
calibrate the score; the printed weights are the package defaults (matcher/model/_weights.py, DEFAULT_WEIGHTS and
LEXICAL_WEIGHTS).

quality.py reports how weights fitted this way do on a collection they were not fitted on.

    python benchmarks/tune.py
"""
from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from evaluate import fit_engine, load_benches  # noqa: E402
from labeled import COLLECTIONS  # noqa: E402

from matcher.model import DEFAULT_WEIGHTS, SIGNALS  # noqa: E402


def rounded(weights):
    return replace(weights, **{k: round(v, 3) for k, v in weights.to_dict().items()})


def report(benches, weights) -> str:
    return ", ".join(f"{n} {b.metrics(b.engine(weights))['ndcg@10']:.3f}" for n, b in benches.items())


def main() -> None:
    benches = list(load_benches(COLLECTIONS).values())
    by_name = {b.name: b for b in benches}
    weights = fit_engine(benches, DEFAULT_WEIGHTS, list(SIGNALS))
    print(f"fitted on {', '.join(by_name)}: NDCG@10 {report(by_name, weights)} (in-sample)")
    print("DEFAULT_WEIGHTS =", rounded(weights))
    # Without the encoder (it failed to load) the lexical signals must carry the ranking on their own.
    lexical = fit_engine(benches, replace(DEFAULT_WEIGHTS, semantic=0.0), [s for s in SIGNALS if s != "semantic"])
    print(f"lexical-only fallback: NDCG@10 {report(by_name, lexical)} (in-sample)")
    print("LEXICAL_WEIGHTS =", rounded(lexical))


if __name__ == "__main__":
    main()
