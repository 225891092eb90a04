"""What an installation's people said about its offers, as one signal of the blend: for each offer, the log-odds
that a person found it fitting ("passt"), shrunk towards the offer's overall rate and that towards the rate of all
verdicts, per role of the person (matcher.feedback fits it from the stored verdicts; `matcher refit` saves it)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class FeedbackPrior:
    """by_role[i, r]: log-odds, relative to all verdicts, that a person of role r finds offer i fitting;
    overall[i]: the same for a person whose role is unknown. 0 where nobody said anything."""

    overall: np.ndarray  # (n_offers,)
    by_role: np.ndarray  # (n_offers, n_roles)

    def signal(self, role_index: int | None) -> np.ndarray:
        return self.overall if role_index is None else self.by_role[:, role_index]
