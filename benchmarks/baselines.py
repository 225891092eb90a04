"""Baseline rankers on the same profiles and the same hard rules: random, BM25 (bm25s), TF-IDF, the encoder alone,
and the encoder with a boost for offers that name the role read from the job title.

Every baseline reads what the person gives as one query (job title, needs, and the labels of fields they named),
its best chance to see the role and the topic.
"""
from __future__ import annotations

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

from matcher.core import label
from matcher.ranking import standardise

ROLE_BOOST, OPEN_BOOST, FIELD_BOOST = 1.0, 0.5, 1.0  # fixed by hand, not tuned, for the role-given TF-IDF


def query_text(profile) -> str:
    """job title + needs + the labels of the fields the person named"""
    named = ", ".join(label("fields", f) for f in profile.fields)
    return " ".join(t for t in (profile.role_title, profile.needs, named and f"Handlungsfelder: {named}.") if t)


def offer_text(offer) -> str:
    return f"{offer.title}. {offer.description}"


class RandomRanker:
    name = "random"

    def __init__(self, offers, seed: int = 0):
        self.n, self.rng = len(offers), np.random.default_rng(seed)

    def scores(self, profiles) -> np.ndarray:
        return self.rng.random((len(profiles), self.n))


class BM25Ranker:
    """Okapi BM25 (Robertson et al.) via bm25s, German Snowball stemming and stop words."""

    name = "BM25 (bm25s, Snowball)"

    def __init__(self, offers):
        import bm25s
        import Stemmer
        self.stemmer = Stemmer.Stemmer("german")
        self.bm25s = bm25s
        self.model = bm25s.BM25()
        self.model.index(bm25s.tokenize([offer_text(o) for o in offers], stopwords="de", stemmer=self.stemmer,
                                        show_progress=False), show_progress=False)
        self.n = len(offers)

    def scores(self, profiles) -> np.ndarray:
        out = np.zeros((len(profiles), self.n))
        for i, p in enumerate(profiles):
            tokens = self.bm25s.tokenize([query_text(p)], stopwords="de", stemmer=self.stemmer, return_ids=False,
                                         show_progress=False)[0]
            out[i] = self.model.get_scores(tokens)
        return out


class TfidfRanker:
    """TF-IDF cosine of word unigrams and of character 3-5-grams (scikit-learn), averaged."""

    name = "TF-IDF word + char"

    def __init__(self, offers):
        texts = [offer_text(o) for o in offers]
        self.views = [TfidfVectorizer(sublinear_tf=True), TfidfVectorizer(sublinear_tf=True, analyzer="char_wb",
                                                                          ngram_range=(3, 5))]
        self.matrices = [v.fit_transform(texts) for v in self.views]

    def scores(self, profiles) -> np.ndarray:
        queries = [query_text(p) for p in profiles]
        return sum((v.transform(queries) @ m.T).toarray() for v, m in zip(self.views, self.matrices)) / 2


class RoleGivenTfidfRanker(TfidfRanker):
    """TF-IDF word + char, z-scored, plus fixed boosts for offers that name the person's true role (the label,
    not a guess), are open to all, or share a field the person named."""

    name = "TF-IDF given the true role and fields"

    def __init__(self, offers, gold_roles: list[tuple[str, ...]]):
        super().__init__(offers)
        self.offers, self.gold_roles = offers, gold_roles

    def scores(self, profiles) -> np.ndarray:
        text = super().scores(profiles)
        everyone = np.ones(len(self.offers), dtype=bool)
        out = np.zeros_like(text)
        for i, (p, roles) in enumerate(zip(profiles, self.gold_roles)):
            names_role = np.array([bool(set(roles) & set(o.target_roles)) for o in self.offers])
            open_ = np.array([o.is_open_to_all() for o in self.offers])
            shares_field = np.array([bool(set(p.fields) & set(o.fields)) for o in self.offers])
            out[i] = (standardise(text[i], everyone) + ROLE_BOOST * names_role + OPEN_BOOST * open_
                      + FIELD_BOOST * shares_field)
        return out


class EncoderRanker:
    """The sentence encoder alone: the query (title + needs + named fields) against the offer's title, description
    and field labels, cosine, nothing else: the strongest one-line rival."""

    name = "encoder alone (title + needs + fields)"

    def __init__(self, offers, encoder):
        self.encoder = encoder
        # Offer.passage is exactly that text, so the run encodes each offer once for the engine and for this
        self.passages = encoder.encode_passages([o.passage for o in offers])

    def scores(self, profiles) -> np.ndarray:
        return self.encoder.encode_queries([query_text(p) for p in profiles]) @ self.passages.T


ROLE_BOOSTS = tuple(np.round(np.arange(0.0, 0.0801, 0.005), 3))


class RoleBoostRanker(EncoderRanker):
    """The encoder alone plus one fixed boost on the cosine for offers that name the role the engine reads from
    the job title (either of two roles): one line of code, one weight, fitted on the training collections."""

    name = "encoder + role boost"

    def __init__(self, offers, encoder, read_roles: list[tuple[str, ...]], boost: float):
        super().__init__(offers, encoder)
        self.offers, self.read_roles, self.boost = offers, read_roles, boost

    def scores(self, profiles) -> np.ndarray:
        names_role = np.array([[bool(set(roles) & set(o.target_roles)) for o in self.offers]
                               for roles in self.read_roles], dtype=float).reshape(len(profiles), -1)
        return super().scores(profiles) + self.boost * names_role
