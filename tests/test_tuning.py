"""The pairwise weight fit: pairs by construction, a ranking it must recover, and its calibration."""
import numpy as np
import pytest

from matcher.model import SIGNALS, TEXT_SIGNALS, Weights
from matcher.ranking import calibrate, fit_pairwise, fit_weights, profile_pairs


def test_profile_pairs_take_better_minus_worse_among_eligible_offers():
    signals = {"a": np.array([3.0, 1.0, 0.0, 9.0])}
    grades = np.array([2, 0, 1, 3])
    mask = np.array([True, True, True, False])  # the grade-3 offer is not eligible: no pair
    diffs = profile_pairs(signals, grades, mask, ["a"], np.random.default_rng(0))
    # pairs (better, worse): (0, 1), (0, 2), (2, 1) -> 3-1, 3-0, 0-1
    assert sorted(diffs[:, 0].tolist()) == [-1.0, 2.0, 3.0]


def test_profile_pairs_are_capped_per_profile():
    signals = {"a": np.arange(100.0)}
    diffs = profile_pairs(signals, np.arange(100), np.ones(100, bool), ["a"], np.random.default_rng(0), max_pairs=7)
    assert diffs.shape == (7, 1)


def test_fit_pairwise_finds_the_signal_that_orders_the_grades():
    rng = np.random.default_rng(1)
    examples = []
    for _ in range(30):
        useful, noise = rng.normal(size=40), rng.normal(size=40)
        grades = np.digitize(useful, [0.5, 1.0, 1.5])  # grade follows 'useful' only
        examples.append(({"useful": useful, "noise": noise}, grades, np.ones(40, bool)))
    w = fit_pairwise(examples, ["useful", "noise"])
    assert w["useful"] > 1.0 and abs(w["noise"]) < 0.2 * w["useful"]


def test_fit_pairwise_refuses_judgments_without_any_order():
    examples = [({"a": np.ones(3)}, np.zeros(3, int), np.ones(3, bool))]
    with pytest.raises(ValueError, match="no offer pairs"):
        fit_pairwise(examples, ["a"])


def test_fit_weights_keeps_unnamed_signals_and_calibrates_the_score():
    rng = np.random.default_rng(2)
    rows, grades, masks = [], [], []
    for _ in range(25):
        raw = {name: rng.normal(size=60) for name in SIGNALS}
        grades.append(np.digitize(raw["semantic"] + 0.5 * raw["role"], [1.0, 1.8, 2.5]))
        rows.append(raw), masks.append(np.ones(60, bool))
    start = Weights(format=0.77)
    fitted = fit_weights(rows, grades, masks, start, ["semantic", "role"])
    assert fitted.format == 0.77 and fitted.word == start.word  # not named: kept as given
    assert fitted.semantic > fitted.role > 0
    assert fitted.score_scale > 0  # a higher blend means a likelier useful offer


def test_calibrate_keeps_the_old_scale_when_every_shown_offer_is_alike():
    signals = {name: np.zeros(5) for name in SIGNALS}
    w = Weights(score_scale=1.5, score_shift=-2.0)
    assert calibrate([(signals, np.zeros(5, int), np.ones(5, bool))], w) == (1.5, -2.0)


def test_text_signals_include_the_title_signal():
    assert "title" in TEXT_SIGNALS and set(TEXT_SIGNALS) <= set(SIGNALS)
