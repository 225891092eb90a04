from datetime import date

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matcher import MatcherInputError, Profile, parse_profile, recommend, recommend_many
from matcher.ranking import matched_terms, score
from matcher.ranking import MAX_REASONS, MIN_REASONS, Reason, render
from matcher.core import FIELDS, ROLES, STATES
from matcher.text import stem

TODAY = date(2026, 11, 25)


def ids(result):
    return [r.offer_id for r in result.recommendations]


def test_the_only_planning_participation_offer_ranks_first_for_a_jugendhilfeplanerin(tiny_model):
    profile = parse_profile({"role_title": "Jugendhilfeplanerin im Kreisjugendamt",
                             "needs": "Jugendliche an der Planung beteiligen", "region": "NW"})
    result = recommend(tiny_model, profile, 5, today=TODAY)
    assert result.interpreted.role == "planung"
    assert ids(result)[0] == "t01"


def test_the_same_need_from_a_fachkraft_puts_the_fachkraft_offer_first(tiny_model):
    profile = parse_profile({"role_title": "Jugendarbeiter im Jugendzentrum",
                             "needs": "Jugendliche an Entscheidungen beteiligen", "region": "NW"})
    assert ids(recommend(tiny_model, profile, 3, today=TODAY))[0] == "t02"


def test_semantic_similarity_finds_offers_without_shared_words(tiny_model):
    profile = parse_profile({"needs": "Drogen", "region": "NW"})
    assert ids(recommend(tiny_model, profile, 3, today=TODAY))[0] in {"t03", "t04"}


def test_expired_and_other_state_offers_never_appear(tiny_model):
    profile = parse_profile({"role_title": "Jugendhilfeplaner", "needs": "Beteiligung Jugendhilfeplanung",
                             "region": "NW"})
    got = ids(recommend(tiny_model, profile, 50, today=TODAY))
    assert "t05" not in got  # expired
    assert not {"t06", "t09", "t10", "t11", "t13"} & set(got)  # BY, SN, HH, HB, BE
    assert {"t01", "t03"} <= set(got)


def test_near_duplicate_offers_are_not_side_by_side(tiny_model):
    profile = parse_profile({"role_title": "Streetworkerin", "needs": "Cannabis und Alkohol bei Jugendlichen",
                             "region": "NW"})
    got = ids(recommend(tiny_model, profile, 3, today=TODAY))
    assert got[0] in {"t03", "t04"}
    assert not {"t03", "t04"} <= set(got[:2])


def test_results_are_the_same_in_every_process(tiny_model_dir):
    # set iteration order and hash seeds differ between processes; ties must still break on offer id
    import json
    import os
    import subprocess
    import sys
    args = [sys.executable, "-m", "matcher.cli", "recommend", "--model", str(tiny_model_dir), "--needs",
            "Beteiligung", "--top-k", "10", "--json"]
    answers = [subprocess.run(args, capture_output=True, text=True, check=True,
                              env={**os.environ, "PYTHONHASHSEED": seed}).stdout for seed in ("1", "2", "3")]
    assert len(json.loads(answers[0])["recommendations"]) == 10
    assert answers[0] == answers[1] == answers[2]


def test_batch_equals_single_calls(tiny_model):
    raws = [{"id": "a", "role_title": "Ratsmitglied", "needs": "Kinder sollen mitreden", "region": "BY"},
            {"id": "b", "role": "verwaltung", "needs": "Online-Dienste", "fields": ["digitalisierung"]},
            {"id": "c", "needs": "Klimaanpassung Hitze", "format_preference": "praesenz"}]
    profiles = [parse_profile(r) for r in raws]
    batch = recommend_many(tiny_model, profiles, 4, today=TODAY)
    for profile, result in zip(profiles, batch):
        single = recommend(tiny_model, profile, 4, today=TODAY)
        assert ids(single) == ids(result)
        assert [r.score for r in single.recommendations] == [r.score for r in result.recommendations]
        assert single.interpreted == result.interpreted


def test_an_unsure_title_means_role_unknown_and_no_role_boost(tiny_model):
    result = recommend(tiny_model, parse_profile({"role_title": "Pilot", "needs": "Beteiligung"}), 3, today=TODAY)
    assert result.interpreted.role is None and result.interpreted.role_source == "title"
    assert all(r.kind not in ("role_match", "role_open") for rec in result.recommendations for r in rec.reasons)


def test_a_given_role_code_wins_over_the_title(tiny_model):
    profile = parse_profile({"role": "politik", "role_title": "Jugendhilfeplanerin", "needs": "Beteiligung"})
    result = recommend(tiny_model, profile, 3, today=TODAY)
    assert (result.interpreted.role, result.interpreted.role_confidence) == ("politik", 1.0)


def test_fields_are_inferred_from_colloquial_needs(bundled_model):
    profile = parse_profile({"needs": "Wie kriege ich Jugendliche in die Planung vom neuen Jugendzentrum rein?"})
    result = recommend(bundled_model, profile, 5, today=TODAY)
    assert result.interpreted.field_source == "inferred"
    assert {"beteiligung", "kinder_jugend"} <= set(result.interpreted.fields)


def test_long_formal_needs_are_accepted_and_ranked(bundled_model):
    needs = ("Der Kreistag beauftragt den Landrat, Möglichkeiten einer umfassenderen Beteiligung von Kindern und "
             "Jugendlichen in den kommunalen Gremien aufzuzeigen. ") * 14
    assert len(needs) > 2000
    result = recommend(bundled_model, parse_profile({"role_title": "Kreistagsabgeordnete", "needs": needs}), 10,
                       today=TODAY)
    assert len(result.recommendations) == 10
    assert "beteiligung" in result.interpreted.fields
    top_fields = [f for rec in result.recommendations[:5] for f in rec.offer.fields]
    assert top_fields.count("beteiligung") >= 3


@pytest.mark.parametrize("top_k", [0, -1, 51, "abc", 2.5, None, True])
def test_top_k_out_of_range_is_refused_naming_top_k(tiny_model, top_k):
    with pytest.raises(MatcherInputError) as exc:
        recommend(tiny_model, parse_profile({"needs": "x"}), top_k)
    assert exc.value.problems[0].loc == ("top_k",)


@pytest.mark.parametrize("raw, loc, type_", [
    ({"needs": ""}, ("needs",), "empty"),
    ({}, ("needs",), "missing"),
    ({"needs": "x" * 5001}, ("needs",), "too_long"),
    ({"needs": "x", "region": "XX"}, ("region",), "unknown_code"),
    ({"needs": "x", "role": "chef"}, ("role",), "unknown_code"),
    ({"needs": "x", "fields": ["beteiligung", "sport"]}, ("fields", 1), "unknown_code"),
    ({"needs": "x", "format_preference": "vor Ort"}, ("format_preference",), "unknown_code"),
    ({"needs": "x", "role_title": "y" * 201}, ("role_title",), "too_long"),
    ({"needs": ["a"]}, ("needs",), "wrong_type"),
], ids=["empty-needs", "no-needs", "huge-needs", "unknown-region", "unknown-role", "unknown-field",
        "unknown-format", "huge-title", "needs-list"])
def test_bad_profiles_name_the_field(raw, loc, type_):
    with pytest.raises(MatcherInputError) as exc:
        parse_profile(raw)
    assert [(p.loc, p.type) for p in exc.value.problems] == [(loc, type_)]


def test_a_profile_collects_every_problem():
    with pytest.raises(MatcherInputError) as exc:
        parse_profile({"needs": "", "region": "NRW", "role": "x"})
    assert {p.loc for p in exc.value.problems} == {("needs",), ("region",), ("role",)}
    assert "did you mean 'NW'?" in str(exc.value)


def assert_reasons_hold(model, profile, result):
    """Every reason must be true of its offer: a false reason is a defect."""
    analyzer = model.vectorizer.analyzer_
    for rec in result.recommendations:
        offer = rec.offer
        assert MIN_REASONS <= len(rec.reasons) <= MAX_REASONS
        for reason in rec.reasons:
            v = reason.value
            assert render(reason)
            if reason.kind == "role_match":
                assert v[0] == result.interpreted.role and v[0] in offer.target_roles
            elif reason.kind == "role_open":
                assert offer.target_roles == () and result.interpreted.role is not None
            elif reason.kind == "need_terms":
                offer_stems = set(analyzer(offer.text))
                for word in v:
                    assert word.lower() in profile.needs.lower()
                    assert set(analyzer(word)) & offer_stems, (word, offer.id)
            elif reason.kind == "field":
                assert set(v) <= set(offer.fields) & set(result.interpreted.fields)
            elif reason.kind == "format":
                assert v[0] == offer.format == profile.format_preference
            elif reason.kind == "cost":
                assert offer.cost == "kostenfrei"
            elif reason.kind == "deadline":
                assert offer.valid_until.isoformat() == v[0]
            elif reason.kind == "region":
                assert v[0] == offer.region
                assert (v[1:] == ("own",)) == (profile.region is not None and offer.region == profile.region)
            elif reason.kind == "offer_type":
                assert v[0] == offer.offer_type


def test_every_reason_holds_for_its_offer_on_the_sample_profiles(bundled_model):
    import json
    from conftest import ROOT
    for line in (ROOT / "data" / "profiles.jsonl").read_text(encoding="utf-8").splitlines():
        profile = parse_profile(json.loads(line))
        assert_reasons_hold(bundled_model, profile, recommend(bundled_model, profile, 10, today=TODAY))


profiles = st.builds(
    Profile,
    needs=st.sampled_from(["Beteiligung", "Drogen", "Klima", "Jugendliche mitreden lassen", "Daten", "Kita",
                           "Gewalt", "Geflüchtete", "Hate Speech im Netz", "Quartier"]),
    role=st.sampled_from([None, *ROLES]),
    fields=st.lists(st.sampled_from(FIELDS), max_size=3, unique=True).map(tuple),
    region=st.sampled_from([None, "bund", *STATES]),
    format_preference=st.sampled_from([None, "online", "praesenz", "hybrid"]),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(profile=profiles, today=st.dates(min_value=date(2024, 1, 1), max_value=date(2029, 1, 1)),
       k=st.integers(1, 50))
def test_hard_rules_never_bend(bundled_model, profile, today, k):
    result = recommend(bundled_model, profile, k, today=today)
    assert len(result.recommendations) <= k
    for rec in result.recommendations:
        assert rec.offer.region in ("bund", profile.region) or profile.region is None
        assert rec.offer.valid_until is None or rec.offer.valid_until >= today
    got = ids(result)
    assert len(got) == len(set(got))
    assert [r.rank for r in result.recommendations] == list(range(1, len(got) + 1))
    assert_reasons_hold(bundled_model, profile, result)


def test_matched_terms_show_the_persons_own_nouns(bundled_model):
    needs = "Wie kriege ich Jugendliche in die Planung vom neuen Jugendzentrum rein?"
    index = next(i for i, o in enumerate(bundled_model.offers)
                 if stem("planung") in bundled_model.offer_stems(i) and "Jugendliche" in o.text)
    terms = matched_terms(bundled_model, bundled_model.vectorizer.analyzer_.stem_map(needs), index, needs)
    assert terms and all(t[0].isupper() for t in terms)
    assert "neuen" not in terms and "kriege" not in terms


def test_scores_lie_between_zero_and_one_and_fall_with_rank(bundled_model):
    result = recommend(bundled_model, parse_profile({"needs": "Suchtprävention an Schulen"}), 20, today=TODAY)
    scores = np.array([r.score for r in result.recommendations])
    assert ((scores > 0) & (scores < 1)).all()


def test_a_profiles_scores_do_not_depend_on_the_others_in_its_batch(tiny_model):
    # the local scorer and the Spark engine cut batches differently; both must write the same numbers
    alone = parse_profile({"id": "x", "needs": "Mehrzeilig\nBeteiligung von Jugendlichen", "region": "NW"})
    other = parse_profile({"id": "y", "needs": "Kinderschutz", "region": "BY"})
    single, batched = score(tiny_model, [alone])[0].raw, score(tiny_model, [alone, other, other])[0].raw
    for name in ("word", "char", "semantic", "field"):
        assert np.array_equal(single[name], batched[name]), name  # bit for bit


def test_role_fit_counts_both_roles_of_a_mayor(tiny_model):
    mayor = parse_profile({"role_title": "hauptamtlicher Bürgermeister", "needs": "Kinder sollen mitreden",
                           "region": "BY"})
    result = recommend(tiny_model, mayor, 10, today=TODAY)
    assert result.interpreted.roles == ("leitung", "politik") and result.interpreted.role == "leitung"
    # an offer aimed at Kommunalpolitik alone counts as naming the mayor's role, and its reason says which
    politics = [r for r in result.recommendations if r.offer.target_roles == ("politik",)]
    assert politics and all(Reason("role_match", ("politik",)) in r.reasons for r in politics)


class _CountingEncoder:
    """Encodes a text as a one-hot of its length bucket, and records what it was asked to encode."""

    name = "counting"

    def __init__(self):
        self.seen = []

    def encode_queries(self, texts):
        self.seen.append(list(texts))
        out = np.zeros((len(texts), 4), np.float32)
        for i, t in enumerate(texts):
            out[i, min(len(t) // 200, 3)] = 1.0
        return out


def test_long_needs_are_encoded_in_sentence_windows_and_pooled():
    from matcher.text import LONG_QUERY_CHARS, encode_needs
    encoder = _CountingEncoder()
    short, long_ = "Kinder beteiligen.", "Der Rat möge beschließen, dass die Verwaltung berichtet. " * 20
    assert len(long_) >= LONG_QUERY_CHARS
    emb = encode_needs(encoder, [short, long_])
    asked = encoder.seen[0]
    assert asked[0] == short and len(asked) > 2  # the short one whole, the long one in windows
    assert emb.shape == (2, 4) and np.allclose(np.linalg.norm(emb, axis=1), 1.0)
    windows = asked[1:]
    expected = np.zeros(4)
    for w in windows:
        expected[min(len(w) // 200, 3)] += 1 / len(windows)
    assert emb[1] == pytest.approx(expected / np.linalg.norm(expected))
