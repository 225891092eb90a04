from datetime import date

import numpy as np
import pytest
from scipy import sparse

from matcher.model import OfferIndex, Weights
from matcher.core import Profile, parse_offer
from matcher.core import reachable as eligible
from matcher.ranking import (POOL_FACTOR, blend, diversify, field_fit, format_fit, near_duplicates, role_fit, select,
                             standardise, top_k)


def test_top_k_breaks_ties_on_the_smaller_id():
    scores = np.array([0.5, 0.9, 0.5, 0.5])
    ids = np.array(["d", "a", "b", "c"], dtype=object)
    assert list(top_k(scores, ids, 3)) == [1, 2, 3]  # a (0.9), then b and c before d


def test_top_k_respects_the_mask_and_a_k_larger_than_the_candidates():
    scores = np.array([3.0, 2.0, 1.0])
    ids = np.array(["x", "y", "z"], dtype=object)
    assert list(top_k(scores, ids, 10, mask=np.array([True, False, True]))) == [0, 2]


def test_standardise_uses_only_the_eligible_offers():
    values = np.array([1.0, 3.0, 100.0])
    z = standardise(values, np.array([True, True, False]))
    assert z[:2] == pytest.approx([-1.0, 1.0])  # mean 2, std 1
    assert z[2] == 0.0


def test_standardise_of_a_constant_signal_is_zero():
    assert standardise(np.array([2.0, 2.0]), np.array([True, True])) == pytest.approx([0.0, 0.0])


def test_eligible_keeps_nationwide_and_own_state_and_drops_expired():
    regions = np.array(["bund", "NW", "BY", "NW"], dtype=object)
    expiry = np.array([100, 100, 100, 9], dtype=np.int64)
    assert list(eligible(regions, expiry, "NW", 10)) == [True, True, False, False]
    assert list(eligible(regions, expiry, None, 10)) == [True, True, True, False]


def test_role_fit_gives_no_boost_when_the_role_is_unknown():
    targets = np.array([[True, False], [False, True]])
    assert list(role_fit(targets, 1)) == [0.0, 1.0]
    assert list(role_fit(targets, None)) == [0.0, 0.0]
    assert list(role_fit(targets, [])) == [0.0, 0.0]


def test_role_fit_counts_either_of_two_roles():
    # offers: names role 0 only, role 1 only, both, neither
    targets = np.array([[True, False], [False, True], [True, True], [False, False]])
    assert list(role_fit(targets, [0, 1])) == [1.0, 1.0, 1.0, 0.0]
    assert list(role_fit(targets, [1])) == [0.0, 1.0, 1.0, 0.0]


def test_field_fit_takes_the_best_weight_among_an_offers_fields():
    fields = np.array([[True, True, False], [False, False, True], [False, False, False]])
    assert field_fit(fields, np.array([0.2, 0.7, 0.1])) == pytest.approx([0.7, 0.1, 0.0])


def test_format_fit_is_a_soft_preference():
    formats = np.array(["online", "hybrid", "praesenz"], dtype=object)
    assert list(format_fit(formats, "online")) == [1.0, 0.5, 0.0]
    assert list(format_fit(formats, None)) == [0.0, 0.0, 0.0]


def test_blend_is_the_weighted_sum():
    w = Weights(word=2.0, semantic=0.5)
    total = blend({"word": np.array([1.0, 0.0]), "semantic": np.array([2.0, 4.0])}, w)
    assert total == pytest.approx([2 * 1 + 0.5 * 2, 0.5 * 4])


def test_near_duplicates_are_judged_more_strictly_across_providers():
    sim = np.array([[1.0, 0.5, 0.5], [0.5, 1.0, 0.2], [0.5, 0.2, 1.0]])
    providers = np.array(["A", "A", "B"], dtype=object)
    dup = near_duplicates(sim, providers, same_provider=0.35, any_provider=0.6)
    assert dup[0, 1] and dup[1, 0]
    assert not dup[0, 2] and not dup[0, 0]


def two_editions_and_another_offer():
    """Candidates 10, 11, 12 (scores 3.0, 2.9, 1.0), where 11 is a near-duplicate of 10."""
    ranked = np.array([10, 11, 12])
    scores = np.zeros(13)
    scores[[10, 11, 12]] = [3.0, 2.9, 1.0]
    sim = np.array([[1.0, 0.95, 0.1], [0.95, 1.0, 0.1], [0.1, 0.1, 1.0]])
    dup = sim > 0.9
    np.fill_diagonal(dup, False)
    return ranked, scores, sim, dup


def test_diversify_moves_a_near_duplicate_behind_the_other_offers():
    args = two_editions_and_another_offer()
    assert list(diversify(*args, k=3, lam=0.9)) == [0, 2, 1]
    assert list(diversify(*args, k=2, lam=0.9)) == [0, 2]


def test_diversify_below_placed_offers_holds_back_their_near_duplicates():
    # offer 10 is already shown above; 11 is its near-duplicate, so 12 comes first although it scores lower
    args = two_editions_and_another_offer()
    assert list(diversify(*args, k=2, lam=0.9, placed=1)) == [2, 1]
    assert list(diversify(*args, k=5, lam=0.9, placed=3)) == []


def test_diversify_with_lambda_one_keeps_the_score_order():
    ranked = np.array([0, 1, 2])
    scores = np.array([3.0, 2.0, 1.0])
    sim = np.eye(3)
    assert list(diversify(ranked, scores, sim, np.zeros((3, 3), bool), k=3, lam=1.0)) == [0, 1, 2]


@pytest.mark.parametrize("copies", [0, 3, 12, 30])
def test_select_with_lambda_one_equals_diversifying_the_whole_pool(copies):
    """select reads only the pool's head when it holds k offers that copy none above them; the same list as
    diversifying all k * POOL_FACTOR, also when copies of the best offer crowd the head and push it to the rest."""
    rng = np.random.default_rng(copies)
    n, k = 60, 10
    rows = rng.random((n, 400)) * (rng.random((n, 400)) < 0.05)  # offers that hardly share a term
    rows[1:copies + 1] = rows[0] + 0.01 * rng.random(400)  # near-copies of the best offer, ranked right after it
    rows /= np.linalg.norm(rows, axis=1, keepdims=True)
    index = OfferIndex(np.array([f"o{i:02d}" for i in range(n)]), np.array([f"p{i}" for i in range(n)]),
                       sparse.csr_matrix(rows.astype(np.float32)))
    scores = np.linspace(2.0, 0.0, n)
    weights = Weights(mmr_lambda=1.0)
    shown = select(index, scores, np.ones(n, bool), k, weights)
    pool = np.arange(k * POOL_FACTOR)
    sim = (index.char_matrix[pool] @ index.char_matrix[pool].T).toarray()
    dup = near_duplicates(sim, index.providers[pool], weights.duplicate_same_provider, weights.duplicate_any_provider)
    assert list(shown) == list(pool[diversify(pool, scores, sim, dup, k, 1.0)])
    distinct = k * POOL_FACTOR - copies  # the pool's offers that copy none: the copies only fill what is left
    assert [i for i in shown if 1 <= i <= copies] == list(range(1, copies + 1))[:max(0, k - distinct)]


FUNCTION_WORDS = "Ich will wissen, wofür das bei uns sinnvoll ist und was wir vorher regeln müssen"
CANNABIS = {"id": "o-cannabis", "title": "Cannabisgesetz: Was Ordnungsbehörden jetzt wissen müssen",
            "description": "Was die Teillegalisierung für Kontrollen bedeutet und was Kommunen jetzt wissen müssen.",
            "provider": "Landesstelle", "target_roles": [], "fields": ["praevention"], "offer_type": "fortbildung",
            "region": "bund"}
AI = {"id": "o-ki", "title": "Generative KI in der Kommunalverwaltung",
      "description": "Einsatzfelder von KI-Assistenten in Ämtern, Datenschutz und Dienstvereinbarungen.",
      "provider": "Akademie", "target_roles": ["leitung"], "fields": ["digitalisierung"], "offer_type": "fortbildung",
      "region": "bund"}


def test_function_words_carry_no_lexical_score():
    # issue 25: "was", "wissen", "müssen", "jetzt" decided a Hauptamtsleiter's list
    from matcher import fit_model
    from matcher.ranking import score
    model = fit_model([parse_offer(o)[0] for o in (CANNABIS, AI)], encoder=None)
    person = score(model, [Profile(needs=FUNCTION_WORDS)])[0]
    for signal in ("word", "char", "title"):
        assert person.raw[signal].tolist() == [0.0, 0.0], signal


def test_needs_of_function_words_and_one_topic_rank_that_topic_first():
    from matcher import fit_model, recommend
    model = fit_model([parse_offer(o)[0] for o in (CANNABIS, AI)], encoder=None)
    result = recommend(model, Profile(needs=f"{FUNCTION_WORDS}, wenn wir generative KI einführen",
                                      role_title="Hauptamtsleiter"), top_k=2)
    assert [r.offer.id for r in result.recommendations] == ["o-ki", "o-cannabis"]


def test_a_models_eligible_masks_are_kept_read_only_and_by_day(bundled_model):
    """The mask of a (region, day) is computed once and cannot be written by a caller; another day is another mask
    (an offer that expires that day drops out), and the masks equal the hard rule's."""
    model = bundled_model
    expiring = min((o for o in model.offers if o.valid_until and o.region in ("bund", "NW")),
                   key=lambda o: o.valid_until)
    day = expiring.valid_until.toordinal()
    first = model.eligible("NW", day)
    assert model.eligible("NW", day) is first and not first.flags.writeable
    with pytest.raises(ValueError):
        first[0] = False
    after = model.eligible("NW", day + 1)
    assert first[model.index[expiring.id]] and not after[model.index[expiring.id]]
    for region, ordinal in (("NW", day), ("BY", day + 1), (None, date(2026, 12, 1).toordinal())):
        assert (model.eligible(region, ordinal) == eligible(model.regions, model.expiry_ordinals, region,
                                                             ordinal)).all()
