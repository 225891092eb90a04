"""From a person to a ranked, explained list:

    interpret (role, fields) -> score (PersonSignals) -> blend -> select (top k, near-duplicates apart) -> explain

plus the metrics and the pairwise fit of the blend's weights on graded judgments.
"""
from ._blend import (POOL_FACTOR, blend, calibrated, diversify, field_fit, format_fit, near_duplicates, role_fit,
                     select, spread_of, standardise, standardise_by, standardise_signals, top_k)
from ._candidates import DEFAULT_FIRST_STAGE, AtPositions, FirstStage, offer_index, score_candidates, team_candidates
from ._explain import MAX_REASONS, MIN_REASONS, Reason, explain, matched_terms, render
from ._recommend import CachedRecommender, Recommendation, Result, rank, recommend, recommend_many, signals_for
from ._signals import Interpretation, PersonSignals, interpret_many, score, weights_for
from ._tuning import (RELEVANT, calibrate, fit_pairwise, fit_weights, ndcg_at_k, profile_pairs, recall_at_k,
                      reciprocal_rank)

__all__ = [
    "AtPositions", "CachedRecommender", "DEFAULT_FIRST_STAGE", "FirstStage", "Interpretation", "MAX_REASONS",
    "MIN_REASONS", "POOL_FACTOR", "PersonSignals", "RELEVANT", "Reason", "Recommendation", "Result", "blend",
    "calibrate", "calibrated", "diversify", "explain", "field_fit", "fit_pairwise", "fit_weights", "format_fit",
    "interpret_many", "matched_terms", "ndcg_at_k", "near_duplicates", "offer_index", "profile_pairs", "rank",
    "recall_at_k", "reciprocal_rank", "recommend", "recommend_many", "render", "role_fit", "score",
    "score_candidates", "select", "signals_for", "spread_of", "standardise", "standardise_by",
    "standardise_signals", "team_candidates", "top_k", "weights_for",
]
