"""Field inference from a person's needs: one-vs-rest logistic regression over word TF-IDF and embeddings.

Trained on the catalog's own offers (text -> their field codes) plus the taxonomy's field synonyms, so it
adapts to any catalog and still knows that "Drogen" is Prävention.
"""
from __future__ import annotations

import numpy as np
from scipy import sparse
from sklearn.linear_model import LogisticRegression
from sklearn.multiclass import OneVsRestClassifier

from ..core import FIELDS, NotFittedError
from ._linear import one_vs_rest_proba


def field_features(words: sparse.csr_matrix, embeddings: np.ndarray | None, embedding_weight: float):
    if embeddings is None:
        return words
    return sparse.hstack([words, sparse.csr_matrix(embeddings * embedding_weight)]).tocsr()


class FieldClassifier:
    """Needs -> probability per field code; fields at or above `threshold` are read as the person's fields."""

    def __init__(self, *, threshold: float = 0.5, C: float = 4.0, embedding_weight: float = 3.0):
        self.threshold, self.C, self.embedding_weight = threshold, C, embedding_weight

    def fit(self, words: sparse.csr_matrix, embeddings: np.ndarray | None, labels: list[tuple[str, ...]]):
        targets = np.array([[f in row for f in FIELDS] for row in labels], dtype=int)
        self.uses_embeddings_ = embeddings is not None
        self.model_ = OneVsRestClassifier(LogisticRegression(C=self.C, class_weight="balanced", max_iter=2000))
        self.model_.fit(field_features(words, embeddings, self.embedding_weight), targets)
        return self

    def predict_proba(self, words: sparse.csr_matrix, embeddings: np.ndarray | None) -> np.ndarray:
        if not hasattr(self, "model_"):
            raise NotFittedError("This FieldClassifier is not fitted yet.")
        embeddings = embeddings if self.uses_embeddings_ else None
        if self.uses_embeddings_ and embeddings is None:
            # the encoder failed after training: its columns count as zero
            embeddings = np.zeros((words.shape[0], self.model_.estimators_[0].coef_.shape[1] - words.shape[1]))
        return one_vs_rest_proba(self.model_, field_features(words, embeddings, self.embedding_weight))

    def read_fields(self, proba_row: np.ndarray) -> tuple[str, ...]:
        """Fields at or above the threshold, most likely first; at least the most likely one."""
        order = np.argsort(-proba_row, kind="stable")
        chosen = [FIELDS[i] for i in order if proba_row[i] >= self.threshold]
        return tuple(chosen or [FIELDS[order[0]]])
