"""Baseline rankers on the same profiles and the same hard rules: random, BM25 (bm25s) and TF-IDF cosine."""
from __future__ import annotations

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer


def query_text(profile) -> str:
    """Baselines read the job title and the needs as one query, their best chance to see the role."""
    return f"{profile.role_title or ''} {profile.needs}".strip()


class RandomRanker:
    name = "random"

    def __init__(self, offers, seed: int = 0):
        self.n, self.rng = len(offers), np.random.default_rng(seed)

    def scores(self, queries: list[str]) -> np.ndarray:
        return self.rng.random((len(queries), self.n))


class BM25Ranker:
    """Okapi BM25 (Robertson et al.) via bm25s, German Snowball stemming and stop words."""

    name = "BM25 (bm25s, Snowball)"

    def __init__(self, offers):
        import bm25s
        import Stemmer
        self.stemmer = Stemmer.Stemmer("german")
        self.bm25s = bm25s
        self.model = bm25s.BM25()
        self.model.index(bm25s.tokenize([o.text for o in offers], stopwords="de", stemmer=self.stemmer,
                                        show_progress=False), show_progress=False)
        self.n = len(offers)

    def scores(self, queries: list[str]) -> np.ndarray:
        out = np.zeros((len(queries), self.n))
        for i, q in enumerate(queries):
            tokens = self.bm25s.tokenize([q], stopwords="de", stemmer=self.stemmer, return_ids=False,
                                         show_progress=False)[0]
            out[i] = self.model.get_scores(tokens)
        return out


class TfidfRanker:
    """Plain word TF-IDF cosine (scikit-learn defaults, lowercased unigrams)."""

    name = "TF-IDF cosine"

    def __init__(self, offers):
        self.vectorizer = TfidfVectorizer(sublinear_tf=True)
        self.matrix = self.vectorizer.fit_transform([o.text for o in offers])

    def scores(self, queries: list[str]) -> np.ndarray:
        return (self.vectorizer.transform(queries) @ self.matrix.T).toarray()
