"""How the engine reads a person: the role (given, or from the job title) and the fields (given, or from the needs)."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..core import FIELDS, Profile
from ..model import MatchModel


@dataclass(frozen=True)
class Interpretation:
    """How the engine read a person: role (None = unknown), its confidence and the fields."""

    role: str | None
    role_confidence: float
    role_source: str  # "given", "title" or "none"
    fields: tuple[str, ...]
    field_source: str  # "given" or "inferred"
    roles: tuple[str, ...] = ()  # role first, then a second role the title names (Bürgermeisterin: leitung, politik)

    def to_dict(self) -> dict:
        return {"role": self.role, "role_confidence": self.role_confidence, "fields": list(self.fields),
                "role_source": self.role_source, "field_source": self.field_source, "roles": list(self.roles)}


def interpret(model: MatchModel, profiles: Sequence[Profile], needs_words,
              needs_embeddings: np.ndarray | None) -> list[tuple[Interpretation, np.ndarray]]:
    """(interpretation, weight per field code) of each profile, from its needs' word vectors and embeddings.

    Given codes win over inference; an inferred field weighs its probability.
    """
    titled = [i for i, p in enumerate(profiles) if p.role is None and p.role_title]
    guesses = dict(zip(titled, model.roles.guess([profiles[i].role_title for i in titled]))) if titled else {}
    inferred = [i for i, p in enumerate(profiles) if not p.fields]
    probas = {}
    if inferred:
        emb = needs_embeddings[inferred] if needs_embeddings is not None else None
        probas = dict(zip(inferred, model.fields.predict_proba(needs_words[inferred], emb)))
    out = []
    for i, p in enumerate(profiles):
        if p.role is not None:
            role, confidence, source, roles = p.role, 1.0, "given", (p.role,)
        elif i in guesses:
            role, confidence, source, roles = guesses[i].role, guesses[i].confidence, "title", guesses[i].roles
        else:
            role, confidence, source, roles = None, 0.0, "none", ()
        if p.fields:
            interp_fields, weights, field_source = p.fields, np.array([f in p.fields for f in FIELDS], float), "given"
        else:
            interp_fields, weights, field_source = model.fields.read_fields(probas[i]), probas[i], "inferred"
        out.append((Interpretation(role, confidence, source, interp_fields, field_source, roles), weights))
    return out
