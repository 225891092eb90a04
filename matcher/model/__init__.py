"""The fitted model that is persisted and served: offers as matrices, the role and field classifiers, the blend's
weights; how to fit it from a catalog, save it atomically and load it."""
from ._classifiers import (RoleClassifier, evaluate_roles, head_phrase, read_job_titles, read_labeled_titles,
                           train_role_classifier)
from ._feedback_prior import FeedbackPrior
from ._model import DEFAULT_WEIGHTS, LEXICAL_WEIGHTS, SIGNALS, TEXT_SIGNALS, MatchModel, OfferIndex, Weights, fit_model
from ._index import EXACT_ALL_UP_TO, RegionIndex, VectorIndex, build_region_index
from ._persistence import ARTIFACT, CARD, FORMAT_VERSION, load, read_ahead, read_card, read_encodings, save

__all__ = [
    "ARTIFACT", "CARD", "DEFAULT_WEIGHTS", "FORMAT_VERSION", "FeedbackPrior", "LEXICAL_WEIGHTS", "MatchModel", "OfferIndex",
    "EXACT_ALL_UP_TO", "RegionIndex", "RoleClassifier", "SIGNALS", "TEXT_SIGNALS", "VectorIndex", "Weights", "build_region_index",
    "evaluate_roles", "fit_model", "head_phrase", "load", "read_ahead", "read_card", "read_encodings", "read_job_titles",
    "read_labeled_titles", "save", "train_role_classifier",
]
