"""Feedback: the verdicts people give on the offers they were shown ("passt" / "passt nicht"), stored without
anything personal, and the refit of the blend's weights on them, guarded by a held-out part."""
from ._capture import check_offer, list_key, model_version, person_verdict, team_verdict
from ._job import refit
from ._refit import (PRIOR_STRENGTH, ListPairs, RefitOutcome, VerdictCounts, VerdictList, fit_with_prior, pairs_of,
                     pairwise_accuracy, read_lists, refit_weights)
from ._store import VERDICTS, FeedbackStore, StoredVerdict, metadata, read_responses

__all__ = [
    "FeedbackStore", "ListPairs", "PRIOR_STRENGTH", "RefitOutcome", "StoredVerdict", "VERDICTS", "VerdictCounts",
    "VerdictList", "check_offer", "fit_with_prior", "list_key", "metadata", "model_version", "pairs_of",
    "pairwise_accuracy", "person_verdict", "read_lists", "read_responses", "refit", "refit_weights", "team_verdict",
]
