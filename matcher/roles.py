"""Role inference from a free-text job title: character n-grams and stemmed words, logistic regression."""
from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from .errors import NotFittedError
from .taxonomy import DATA_DIR, ROLES, taxonomy
from .text import StemAnalyzer, build_lexicon, normalize_for_chars

JOB_TITLES = DATA_DIR / "job_titles.csv"


@dataclass(frozen=True)
class RoleGuess:
    role: str | None  # None: not confident enough to name a role
    confidence: float  # probability of the most likely role
    best: str  # the most likely role, even when below the threshold


def read_job_titles(path: str | Path = JOB_TITLES) -> tuple[list[str], list[str]]:
    """(titles, roles) of a labeled CSV with columns title,role."""
    with open(path, encoding="utf-8-sig", newline="") as f:
        rows = [(r["title"].strip(), r["role"].strip()) for r in csv.DictReader(f) if r.get("title", "").strip()]
    unknown = sorted({role for _, role in rows} - set(ROLES))
    if unknown:
        raise ValueError(f"{path}: unknown role codes {unknown}")
    return [t for t, _ in rows], [r for _, r in rows]


def taxonomy_titles() -> tuple[list[str], list[str]]:
    """The taxonomy's role synonyms as extra labeled titles."""
    pairs = [(s, code) for code, entry in taxonomy()["roles"].items() for s in entry["synonyms"]]
    return [t for t, _ in pairs], [r for _, r in pairs]


class RoleClassifier:
    """Job title -> role code with a probability; below `threshold` the role is reported as unknown.

    A wrong confident guess would boost the wrong offers, so an unsure title gets no role at all.
    """

    def __init__(self, *, threshold: float = 0.5, C: float = 20.0):
        self.threshold, self.C = threshold, C

    def fit(self, titles: list[str], roles: list[str]) -> "RoleClassifier":
        self.chars_ = TfidfVectorizer(analyzer="char_wb", preprocessor=normalize_for_chars, ngram_range=(2, 5),
                                      sublinear_tf=True, dtype=np.float32)
        # compound heads carry the role (Gesamt|leitung, Jugendhilfe|planerin): the titles' words are the lexicon
        self.words_ = TfidfVectorizer(analyzer=StemAnalyzer(build_lexicon(titles)), sublinear_tf=True,
                                      dtype=np.float32)
        features = sparse.hstack([self.chars_.fit_transform(titles), self.words_.fit_transform(titles)]).tocsr()
        self.model_ = LogisticRegression(C=self.C, max_iter=2000).fit(features, roles)
        self.classes_ = tuple(self.model_.classes_)
        return self

    def predict_proba(self, titles: list[str]) -> np.ndarray:
        if not hasattr(self, "model_"):
            raise NotFittedError("This RoleClassifier is not fitted yet; call fit with labeled job titles first.")
        features = sparse.hstack([self.chars_.transform(titles), self.words_.transform(titles)]).tocsr()
        return self.model_.predict_proba(features)

    def guess(self, titles: list[str]) -> list[RoleGuess]:
        out = []
        for row in self.predict_proba(titles):
            best = int(np.argmax(row))
            confidence = float(row[best])
            role = str(self.classes_[best])
            out.append(RoleGuess(role if confidence >= self.threshold else None, round(confidence, 4), role))
        return out


def train_role_classifier(path: str | Path = JOB_TITLES, **params) -> RoleClassifier:
    titles, roles = read_job_titles(path)
    extra_titles, extra_roles = taxonomy_titles()
    return RoleClassifier(**params).fit(titles + extra_titles, roles + extra_roles)
