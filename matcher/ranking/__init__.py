"""From a person to a ranked, explained list:

    interpret (role, fields) -> score (PersonSignals) -> blend -> select (top k, near-duplicates apart) -> explain

plus the metrics and the pairwise fit of the blend's weights on graded judgments.
"""
from ._blend import blend, calibrated, field_fit, format_fit, role_fit, standardise, standardise_signals
from ._cache import CachedRecommender
from ._explain import MAX_REASONS, MIN_REASONS, Reason, build_reasons, explain, matched_terms, render
from ._interpret import Interpretation, interpret
from ._metrics import RELEVANT, ndcg_at_k, recall_at_k, reciprocal_rank
from ._recommend import Ranking, Recommendation, Result, rank, recommend, recommend_many
from ._select import POOL_FACTOR, diversify, near_duplicates, select, top_k
from ._signals import PersonSignals, interpret_many, score, weights_for
from ._tuning import calibrate, fit_pairwise, fit_weights, profile_pairs

__all__ = [
    "MAX_REASONS", "MIN_REASONS", "POOL_FACTOR", "RELEVANT", "CachedRecommender", "Interpretation", "PersonSignals",
    "Ranking", "Reason", "Recommendation", "Result", "blend", "build_reasons", "calibrate", "calibrated",
    "diversify", "explain", "field_fit", "fit_pairwise", "fit_weights", "format_fit", "interpret", "interpret_many",
    "matched_terms", "ndcg_at_k", "near_duplicates", "profile_pairs", "rank", "recall_at_k", "reciprocal_rank",
    "recommend", "recommend_many", "render", "role_fit", "score", "select", "standardise", "standardise_signals",
    "top_k", "weights_for",
]
