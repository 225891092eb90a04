"""The team benchmark's held-out check across collections: the paired comparison over the same teams, and team
models that read only some of the features (benchmarks/teams.py)."""
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
import teams as bench  # noqa: E402  (benchmarks/teams.py)

from matcher.teams import relevance  # noqa: E402


def test_paired_gives_the_ratio_of_means_and_the_standard_error_of_the_differences():
    # NDCG@10 per team: ours 0.8, 0.6, 0.7; the baseline 0.5, 0.5, 0.6; differences 0.3, 0.1, 0.1
    ratio, diff, se = bench.paired(np.array([0.8, 0.6, 0.7]), np.array([0.5, 0.5, 0.6]))
    assert ratio == pytest.approx(2.1 / 1.6)
    assert diff == pytest.approx(0.5 / 3)
    # deviations from 1/6: 2/15, -1/15, -1/15; sample variance (4 + 1 + 1) / 225 / 2 = 1/75
    assert se == pytest.approx(np.sqrt(1 / 75) / np.sqrt(3))


def test_paired_over_one_team_has_no_standard_error():
    assert np.isnan(bench.paired(np.array([0.7]), np.array([0.5]))[2])


def test_a_team_model_on_some_features_is_the_same_fit_with_zeros_elsewhere():
    rng = np.random.default_rng(0)
    n = len(relevance.FEATURES)
    rows = [(rng.normal(size=(40, n)), rng.integers(0, 4, size=40)) for _ in range(3)]
    reads = ("topic", "members")
    model = bench.fitted(rows, [0, 2], reads)
    columns = [relevance.FEATURES.index(f) for f in reads]
    alone = relevance.fit(np.vstack([rows[0][0], rows[2][0]])[:, columns],
                          np.concatenate([rows[0][1], rows[2][1]]), bench.C)
    assert np.allclose(model.coefficients[:, columns], alone.coefficients)
    assert np.allclose(model.intercepts, alone.intercepts)
    others = [i for i in range(n) if i not in columns]
    assert not model.coefficients[:, others].any()
    assert model.coefficients.shape == (len(relevance.THRESHOLDS), n)


def test_every_candidate_feature_set_names_known_features():
    assert all(set(fs) <= set(relevance.FEATURES) for fs in bench.FEATURE_SETS.values())
    assert bench.FEATURE_SETS["full"] == relevance.FEATURES
