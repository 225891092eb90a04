"""The blend as pure functions: the structured signals of fit, standardisation, the weighted sum, the score.

Arrays in, arrays out; no I/O; inputs are never written.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..model import TEXT_SIGNALS, SIGNALS, Weights


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
