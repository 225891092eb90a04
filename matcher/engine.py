"""From a profile to an explained top k: how the engine reads a person, and the recommend calls."""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np

from . import limits
from .encoder import encode_needs
from .errors import MatcherInputError, Problem
from .explain import Reason, build_reasons
from .model import MatchModel
from .ranking import (LEXICAL_WEIGHTS, Weights, blend, calibrated, diversify, eligible, field_fit, format_fit,
                      near_duplicates, role_fit, standardise_signals, top_k)
from .schema import Offer, Profile
from .taxonomy import FIELDS, ROLES

SEMANTIC_CLOSE_Z = 1.0  # a "semantic" reason needs the offer's similarity this many standard deviations up
MIN_TERM_IDF = 1.5  # need words found in most offers ("Angebot", "Kommune") tell nothing
MAX_TERMS = 3
POOL_FACTOR = 4  # diversification picks from this many times top_k candidates


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


@dataclass(frozen=True)
class Recommendation:
    offer: Offer
    rank: int
    score: float
    reasons: tuple[Reason, ...]

    @property
    def offer_id(self) -> str:
        return self.offer.id


@dataclass(frozen=True)
class Result:
    profile_id: str | None
    interpreted: Interpretation
    recommendations: tuple[Recommendation, ...]


def weights_for(model: MatchModel, weights: Weights | None = None) -> Weights:
    """The given weights, else the model's, else (no semantic encoder loaded) the lexical ones."""
    return weights or (model.weights if model.semantic else LEXICAL_WEIGHTS)


def check_top_k(top_k) -> int:
    """top_k as an int in 1..MAX_TOP_K, else MatcherInputError naming top_k."""
    if isinstance(top_k, bool) or not isinstance(top_k, (int, np.integer)):
        try:
            top_k = int(str(top_k).strip())
        except ValueError:
            raise MatcherInputError([Problem(("top_k",), f"top_k must be a whole number from 1 to {limits.MAX_TOP_K}, "
                                             f"got {top_k!r}", "wrong_type")]) from None
    if not 1 <= top_k <= limits.MAX_TOP_K:
        raise MatcherInputError([Problem(("top_k",), f"top_k must be from 1 to {limits.MAX_TOP_K}, got {top_k}",
                                         "out_of_range")])
    return int(top_k)


def recommend(model: MatchModel, profile: Profile, top_k: int = limits.DEFAULT_TOP_K, *,
              today: date | None = None, weights: Weights | None = None) -> Result:
    """The top_k offers for one profile, best first, each with 2 to 4 German reasons."""
    return recommend_many(model, [profile], top_k, today=today, weights=weights)[0]


def recommend_many(model: MatchModel, profiles: Sequence[Profile], top_k: int = limits.DEFAULT_TOP_K, *,
                   today: date | None = None, weights: Weights | None = None) -> list[Result]:
    """recommend for many profiles at once (texts are vectorised and encoded in one batch); same results."""
    top_k = check_top_k(top_k)
    if not profiles:
        return []
    signals = score_signals(model, profiles)
    today_ordinal = (today or date.today()).toordinal()
    weights = weights_for(model, weights)
    results = []
    for i, profile in enumerate(profiles):
        row = {name: values[i] for name, values in signals.items() if name != "interpretations"}
        results.append(_rank_one(model, profile, signals["interpretations"][i], row, top_k, today_ordinal, weights))
    return results


def read_profiles(model: MatchModel, profiles: Sequence[Profile], needs_words, needs_emb):
    """Interpretation and field weights per profile: given codes win over inference."""
    titled = [i for i, p in enumerate(profiles) if p.role is None and p.role_title]
    guesses = dict(zip(titled, model.roles.guess([profiles[i].role_title for i in titled]))) if titled else {}
    inferred = [i for i, p in enumerate(profiles) if not p.fields]
    probas = {}
    if inferred:
        emb = needs_emb[inferred] if needs_emb is not None else None
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


def _vectorise_needs(model: MatchModel, profiles: Sequence[Profile]):
    """(word and char TF-IDF of the needs, char TF-IDF of title and needs, their embeddings or None), one batch."""
    words, chars = model.vectorizer.transform([p.needs for p in profiles])
    # the title signal reads character n-grams of title and needs; the encoder reads the needs alone: given the
    # title too it did no better on the held-out collections (benchmarks/results.md) and took a third longer
    query_chars = model.vectorizer.chars_.transform([p.query for p in profiles])
    needs = [p.needs for p in profiles]
    return words, chars, query_chars, encode_needs(model.encoder, needs) if model.semantic else None


def interpret_many(model: MatchModel, profiles: Sequence[Profile]) -> list[Interpretation]:
    """How the engine reads each profile (role, fields), without scoring any offer."""
    if not profiles:
        return []
    words, _, _, emb = _vectorise_needs(model, profiles)
    return [it for it, _ in read_profiles(model, profiles, words, emb)]


def score_signals(model: MatchModel, profiles: Sequence[Profile]) -> dict:
    """Every signal of fit as a (n_profiles, n_offers) array, plus the interpretations."""
    words, chars, query_chars, emb = _vectorise_needs(model, profiles)
    read = read_profiles(model, profiles, words, emb)
    n = len(model.offers)
    return {
        "word": (words @ model.word_columns).toarray(),
        "char": (chars @ model.char_columns).toarray(),
        "title": (query_chars @ model.char_columns).toarray(),
        # one product per profile: a batched float32 product changes in the last bit with the batch size, and
        # a profile's scores must not depend on which others share its batch (local and Spark engines agree)
        "semantic": (np.array([model.embeddings @ e for e in emb]).reshape(len(profiles), n) if emb is not None
                     else np.zeros((len(profiles), n))),
        "role": np.array([role_fit(model.role_targets, [ROLES.index(r) for r in it.roles])
                          for it, _ in read]).reshape(-1, n),
        "open": np.tile(model.open_to_all.astype(float), (len(profiles), 1)),
        "field": np.array([field_fit(model.field_matrix, w) for _, w in read]).reshape(-1, n),
        "format": np.array([format_fit(model.formats, p.format_preference) for p in profiles]).reshape(-1, n),
        "interpretations": [it for it, _ in read],
    }


def blended(model: MatchModel, row: dict[str, np.ndarray], mask: np.ndarray, weights: Weights):
    """(blended scores, standardised signals) of one profile's signals over the eligible offers."""
    combined = standardise_signals(row, mask)
    return blend(combined, weights), combined


def select(model: MatchModel, scores: np.ndarray, mask: np.ndarray, k: int, weights: Weights,
           diversified: bool = True, above: np.ndarray | None = None) -> np.ndarray:
    """Positions of the k offers to show, best first: top k by score among mask, near-duplicates kept apart.

    above: offers already shown above these k; they are left out and, when diversified, their near-duplicates
    held back.
    """
    above = np.zeros(0, dtype=int) if above is None else np.asarray(above, dtype=int)
    mask = mask.copy()
    mask[above] = False
    if not mask.any():
        return np.zeros(0, dtype=int)
    if not diversified:
        return top_k(scores, model.offer_ids, k, mask)
    pool = np.concatenate([above, top_k(scores, model.offer_ids, min(k * POOL_FACTOR, int(mask.sum())), mask)])
    similarity = (model.char_matrix[pool] @ model.char_matrix[pool].T).toarray()
    duplicate = near_duplicates(similarity, model.providers[pool], weights.duplicate_same_provider,
                                weights.duplicate_any_provider)
    return pool[diversify(pool, scores, similarity, duplicate, k, weights.mmr_lambda, placed=len(above))]


def rank(model: MatchModel, region: str | None, row: dict[str, np.ndarray], k: int, today_ordinal: int,
         weights: Weights, diversified: bool = True):
    """(positions of the top k offers, blended scores, standardised signals) for one profile's signals."""
    mask = eligible(model.regions, model.expiry_ordinals, region, today_ordinal)
    scores, combined = blended(model, row, mask, weights)
    return select(model, scores, mask, k, weights, diversified), scores, combined


def _rank_one(model, profile, interpreted, row, k, today_ordinal, weights) -> Result:
    chosen, scores, combined = rank(model, profile.region, row, k, today_ordinal, weights)
    need_terms = model.vectorizer.analyzer_.stem_map(profile.needs)
    recs = [Recommendation(model.offers[i], rank_, round(float(calibrated(scores[i], weights)), 4),
                           reasons_for(model, profile, interpreted, combined, i, need_terms))
            for rank_, i in enumerate(chosen, start=1)]
    return Result(profile.id, interpreted, tuple(recs))


def reasons_for(model: MatchModel, profile: Profile, interpreted: Interpretation, combined: dict, i: int,
                need_terms: dict[str, str], leave_out: frozenset[str] = frozenset()) -> tuple[Reason, ...]:
    """The reasons why offer i fits this person, most telling first; need_terms is the needs' stem_map."""
    # of two roles, the one the offer names is the one to say
    role = next((r for r in interpreted.roles if r in model.offers[i].target_roles), interpreted.role)
    return tuple(build_reasons(
        model.offers[i], role=role, fields=interpreted.fields,
        matched_terms=matched_terms(model, need_terms, i, profile.needs),
        semantic_close=bool(combined["semantic"][i] >= SEMANTIC_CLOSE_Z),
        format_preference=profile.format_preference, region=profile.region, leave_out=leave_out))


def matched_terms(model: MatchModel, need_terms: dict[str, str], offer_index: int, needs: str) -> tuple[str, ...]:
    """Words of the person's need whose stems occur in the offer text, the most specific (highest idf) first.

    In German, nouns carry the topic and are capitalised; when the person writes in mixed case, only
    capitalised words are shown, so that "neuen" or "kriege" never pose as the topic.
    """
    vocab, idf = model.vectorizer.words_.vocabulary_, model.vectorizer.words_.idf_
    offer_stems = model.offer_stems[offer_index]
    nouns_only = needs != needs.lower()
    hits = {}
    for stem_, word in need_terms.items():
        if stem_ in offer_stems and stem_ in vocab and idf[vocab[stem_]] >= MIN_TERM_IDF:
            shown = original_form(needs, word)
            if shown[:1].isupper() or not nouns_only:
                hits.setdefault(shown, idf[vocab[stem_]])
    ranked = sorted(hits, key=lambda w: (-hits[w], w))
    return tuple(ranked[:MAX_TERMS])


def original_form(text: str, word: str) -> str:
    """The word as the person wrote it ("Jugendliche", not "jugendliche"), found case-insensitively."""
    match = re.search(rf"\b{re.escape(word)}\b", text, flags=re.IGNORECASE)
    return match.group(0) if match else word
