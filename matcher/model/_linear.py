"""Probabilities of fitted scikit-learn logistic regressions without their checks of the input on every call.

For the one short text of a request the checks (validate_data, the dataframe probes) cost several times the
product itself: 8 ms of a 17 ms request at 10,000 offers. These functions repeat what predict_proba computes, in
the same order, so the numbers are the same bit for bit (tests/test_roles.py); the input is ours and checked.
"""
from __future__ import annotations

import numpy as np
from scipy.special import expit
from sklearn.linear_model import LogisticRegression
from sklearn.utils.extmath import safe_sparse_dot, softmax


def _decision(model: LogisticRegression, features) -> np.ndarray:
    scores = safe_sparse_dot(features, model.coef_.T, dense_output=True) + model.intercept_
    return scores.reshape(-1) if scores.ndim > 1 and scores.shape[1] == 1 else scores


def logistic_proba(model: LogisticRegression, features) -> np.ndarray:
    """model.predict_proba(features): a sigmoid for two classes, the softmax for more."""
    if len(model.classes_) > 2:
        return softmax(_decision(model, features), copy=False)
    prob = expit(_decision(model, features))
    return np.stack([1 - prob, prob], axis=1)


def one_vs_rest_proba(model, features) -> np.ndarray:
    """OneVsRestClassifier(LogisticRegression).predict_proba of a multilabel model (one column per label); an
    estimator that is no logistic regression (a label seen always or never) answers for itself."""
    if not model.multilabel_ or len(model.estimators_) == 1:
        return model.predict_proba(features)  # normalised rows: not the field classifier's case
    return np.array([logistic_proba(e, features)[:, 1] if isinstance(e, LogisticRegression)
                     else e.predict_proba(features)[:, 1] for e in model.estimators_]).T
