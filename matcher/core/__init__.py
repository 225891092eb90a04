"""The vocabulary and the records of the data contract: codes and labels, offers and profiles, their
validation into Problems, the error types and the input limits. Imports nothing else of matcher."""
from . import limits
from ._errors import (ArgumentError, MatcherInputError, ModelLoadError, ModelSaveError, NotFittedError, Problem,
                      UnavailableError)
from ._schema import Offer, Profile, check_top_k, parse_offer, parse_profile, reachable, storable, unknown_code_message
from ._taxonomy import (COSTS, DATA_DIR, FIELDS, FORMATS, OFFER_TYPES, PLANNING_SIDE, REGIONS, ROLES, STATES, code_for,
                        german_count, label, taxonomy)

__all__ = [
    "ArgumentError", "COSTS", "DATA_DIR", "FIELDS", "FORMATS", "MatcherInputError", "ModelLoadError",
    "ModelSaveError", "NotFittedError", "OFFER_TYPES", "Offer", "PLANNING_SIDE", "Problem", "Profile", "REGIONS",
    "ROLES", "STATES", "UnavailableError", "check_top_k", "code_for", "german_count", "label", "limits",
    "parse_offer", "parse_profile", "reachable", "storable", "taxonomy", "unknown_code_message",
]
