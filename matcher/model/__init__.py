"""The fitted model that is persisted and served: offers as matrices, the role and field classifiers, the blend's
weights; how to fit it from a catalog, save it atomically and load it."""
from ._fields import FieldClassifier
from ._model import MatchModel, OfferIndex, fit_model
from ._persistence import ARTIFACT, CARD, ENCODINGS, FORMAT_VERSION, load, read_card, read_encodings, save
from ._roles import (RoleClassifier, RoleGuess, evaluate_roles, head_phrase, read_job_titles, read_labeled_titles,
                     train_role_classifier)
from ._weights import DEFAULT_WEIGHTS, LEXICAL_WEIGHTS, SIGNALS, STRUCTURED_SIGNALS, TEXT_SIGNALS, Weights

__all__ = [
    "ARTIFACT", "CARD", "DEFAULT_WEIGHTS", "ENCODINGS", "FORMAT_VERSION", "LEXICAL_WEIGHTS", "SIGNALS", "STRUCTURED_SIGNALS",
    "TEXT_SIGNALS", "FieldClassifier", "MatchModel", "OfferIndex", "RoleClassifier", "RoleGuess", "Weights",
    "evaluate_roles", "fit_model", "head_phrase", "load", "read_card", "read_encodings", "read_job_titles", "read_labeled_titles",
    "save", "train_role_classifier",
]
