"""How the engine reads a person (the role given or from the job title, the fields given or from the
needs) and every signal of fit between people and offers, computed once per person into one frozen record."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse

from ..core import FIELDS, ROLES, Profile, label
from ..model import LEXICAL_WEIGHTS, MatchModel, Weights
from ..text import encode_needs, tfidf
from ._blend import field_fit, format_fit, role_fit


# How the engine reads a person: the role (given, or from the job title) and the fields (given, or from the needs).

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


# Every signal of fit between people and offers, computed once per person into one frozen record.

@dataclass(frozen=True)
class PersonSignals:
    """What the engine reads of one person, built once and used by selection and explanation alike.

    raw: each signal (SIGNALS) as an array over all offers, before standardisation; from the first stage
    (ranking._candidates), over the candidates only: `positions` names them (None: all offers), and `spreads` holds
    each text signal's (mean, spread) among the eligible offers, to standardise them with.
    need_terms: the needs' stems and the words they came from (the reasons quote them).
    """

    profile: Profile
    interpretation: Interpretation
    raw: Mapping[str, np.ndarray]
    need_terms: Mapping[str, str]
    positions: np.ndarray | None = None
    spreads: Mapping[str, tuple[float, float]] | None = None


def weights_for(model: MatchModel, weights: Weights | None = None) -> Weights:
    """The given weights, else the model's, else (no semantic encoder loaded) the lexical ones."""
    return weights or (model.weights if model.semantic else LEXICAL_WEIGHTS)


def encoder_query(profile: Profile) -> str:
    """What the encoder reads of a person: everything they give, job title, needs and the labels of the fields they
    named, as an offer's passage carries its own field labels (on text by other hands the encoder reading all of it
    is the strongest one-line rival, benchmarks/results.md)."""
    named = ", ".join(label("fields", f) for f in profile.fields)
    return " ".join(t for t in (profile.role_title, profile.needs, named and f"Handlungsfelder: {named}.") if t)


def _vectorise_needs(model: MatchModel, profiles: Sequence[Profile]):
    """(word and char TF-IDF of the needs, char TF-IDF of title and needs, the embeddings or None), one batch."""
    words, chars = model.vectorizer.transform([p.needs for p in profiles])
    query_chars = tfidf(model.vectorizer.chars_, [p.query for p in profiles])
    queries = [encoder_query(p) for p in profiles]
    return words, chars, query_chars, encode_needs(model.encoder, queries) if model.semantic else None


def interpret_many(model: MatchModel, profiles: Sequence[Profile]) -> list[Interpretation]:
    """How the engine reads each profile (role, fields), without scoring any offer."""
    if not profiles:
        return []
    words, _, _, emb = _vectorise_needs(model, profiles)
    return [it for it, _ in interpret(model, profiles, words, emb)]


def feedback_fit(model: MatchModel, role: str | None, at: np.ndarray | None = None) -> np.ndarray:
    """What people of this role (or anyone, when the role is unknown) said of each offer here (of the offers at
    positions `at`, or of all); 0 before a refit."""
    if model.feedback is None:
        return np.zeros(len(model.offers) if at is None else len(at))
    signal = model.feedback.signal(ROLES.index(role) if role is not None else None)
    return signal if at is None else signal[at]


def cosines(queries: sparse.csr_matrix, columns: sparse.csr_matrix) -> np.ndarray:
    """queries @ columns as a dense (n_queries, n_offers) array, one query at a time from the rows of `columns`
    its terms select: three times faster than the sparse product for one query at 10,000 offers, as fast for a
    batch, and the same numbers bit for bit (the same sums in the same order)."""
    out = np.zeros((queries.shape[0], columns.shape[1]), dtype=np.float32)
    for i in range(queries.shape[0]):
        start, end = queries.indptr[i], queries.indptr[i + 1]
        if end > start:
            out[i] = columns[queries.indices[start:end]].T.dot(queries.data[start:end])
    return out


def score(model: MatchModel, profiles: Sequence[Profile]) -> list[PersonSignals]:
    """Each profile's signals over all offers; texts are vectorised and encoded in one batch."""
    if not profiles:
        return []
    words, chars, query_chars, emb = _vectorise_needs(model, profiles)
    read = interpret(model, profiles, words, emb)
    n = len(model.offers)
    arrays = {
        "word": cosines(words, model.word_columns),
        "char": cosines(chars, model.char_columns),
        "title": cosines(query_chars, model.char_columns),
        # one product per profile: a batched float32 product changes in the last bit with the batch size, and
        # a profile's scores must not depend on which others share its batch (local and Spark engines agree)
        "semantic": (np.array([model.embeddings @ e for e in emb]).reshape(len(profiles), n) if emb is not None
                     else np.zeros((len(profiles), n))),
        "role": np.array([role_fit(model.role_targets, [ROLES.index(r) for r in it.roles])
                          for it, _ in read]).reshape(-1, n),
        "open": np.tile(model.open_to_all.astype(float), (len(profiles), 1)),
        "field": np.array([field_fit(model.field_matrix, w) for _, w in read]).reshape(-1, n),
        "format": np.array([format_fit(model.formats, p.format_preference) for p in profiles]).reshape(-1, n),
        "feedback": np.array([feedback_fit(model, it.role) for it, _ in read]).reshape(-1, n),
    }
    stem_map = model.vectorizer.analyzer_.stem_map
    return [PersonSignals(p, it, {name: values[i] for name, values in arrays.items()}, stem_map(p.needs))
            for i, (p, (it, _)) in enumerate(zip(profiles, read))]
