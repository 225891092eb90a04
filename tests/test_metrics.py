from math import log2

import pytest

from matcher.ranking import ndcg_at_k, recall_at_k, reciprocal_rank


def test_ndcg_of_one_query_matches_the_hand_computed_value():
    grades = {"a": 3, "b": 0, "c": 1, "d": 2}
    # grades by rank: 0, 3, 1 ; ideal: 3, 2, 1
    dcg = (2**3 - 1) / log2(3) + (2**1 - 1) / log2(4)
    idcg = (2**3 - 1) / log2(2) + (2**2 - 1) / log2(3) + (2**1 - 1) / log2(4)
    assert ndcg_at_k(["b", "a", "c"], grades, k=3) == pytest.approx(dcg / idcg)


def test_ndcg_is_one_for_the_ideal_order_and_zero_without_any_match():
    grades = {"a": 3, "b": 2}
    assert ndcg_at_k(["a", "b", "x"], grades) == pytest.approx(1.0)
    assert ndcg_at_k(["x", "y"], grades) == 0.0
    assert ndcg_at_k(["a"], {}) == 0.0


def test_ndcg_cuts_at_k_and_takes_the_ideal_over_all_judged_offers():
    grades = {"a": 1, "b": 3}
    # rank 1: a (1); b is beyond k=1; ideal at k=1 is grade 3
    assert ndcg_at_k(["a", "b"], grades, k=1) == pytest.approx((2**1 - 1) / (2**3 - 1))


def test_recall_counts_grades_of_two_and_more_as_relevant():
    grades = {"a": 3, "b": 2, "c": 1}
    assert recall_at_k(["a", "c", "x"], grades, k=10) == pytest.approx(1 / 2)
    assert recall_at_k(["x"], {"c": 1}) == 0.0


def test_reciprocal_rank_is_one_over_the_first_relevant_rank():
    grades = {"a": 1, "b": 2}
    assert reciprocal_rank(["a", "x", "b"], grades) == pytest.approx(1 / 3)
    assert reciprocal_rank(["a"], grades) == 0.0
