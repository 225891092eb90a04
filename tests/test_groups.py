import json
from datetime import date

import numpy as np
import pytest

from matcher import MatcherInputError, parse_profile
from matcher.ranking import render
from matcher.teams import (AGGREGATIONS, DEFAULT_AGGREGATION, TEAM_PLACES, aggregate, average, borda, fair_greedy,
                           least_misery, recommend_group, topic_utility)
from matcher.core import OFFER_TYPES, ROLES
from matcher.teams._relevance import FEATURES, GAINS, fit, shipped, team_features
from matcher.teams import TeamRelevance

from conftest import run_cli

TODAY = date(2026, 11, 25)
U = np.array([[0.9, 0.5, 0.0],
              [0.1, 0.6, 0.3]])


def test_average_and_least_misery_by_hand():
    assert average(U) == pytest.approx([(0.9 + 0.1) / 2, (0.5 + 0.6) / 2, (0.0 + 0.3) / 2])
    assert least_misery(U) == pytest.approx([0.1, 0.5, 0.0])


def test_borda_gives_each_member_n_minus_one_points_for_their_best():
    # member 1 ranks offers 0 > 1 > 2: points 2, 1, 0; member 2 ranks 1 > 2 > 0: points 0, 2, 1
    assert borda(U) == pytest.approx([(2 + 0) / 2 / 2, (1 + 2) / 2 / 2, (0 + 1) / 2 / 2])


def test_fair_greedy_serves_the_member_left_out_next():
    # offer 0 serves member 1 best; then member 2 is unserved, so offer 1 (0.6 for them) beats offer 2
    p = np.array([[0.9, 0.1, 0.8],
                  [0.1, 0.9, 0.1]])
    order = fair_greedy(p, np.array([0, 2, 1]), k=2)
    # gains: first 0.9+0.1=1.0 (offer 0) vs 0.9 (offer 2) vs 1.0 (offer 1): ties go to the earlier candidate
    assert list(np.array([0, 2, 1])[order]) == [0, 1]


def test_fair_greedy_counts_the_offers_placed_above():
    p = np.array([[0.9, 0.8, 0.1],
                  [0.1, 0.2, 0.7]])
    # offer 0 is already shown above: member 1 is served (0.1 left unserved), member 2 hardly (0.9 left)
    # gains: offer 1: 0.1 x 0.8 + 0.9 x 0.2 = 0.26; offer 2: 0.1 x 0.1 + 0.9 x 0.7 = 0.64
    order = fair_greedy(p, np.array([1, 2]), k=1, placed=np.array([0]))
    assert list(np.array([1, 2])[order]) == [2]
    assert list(np.array([1, 2])[fair_greedy(p, np.array([1, 2]), k=1)]) == [1]  # alone: 1.0 vs 0.8


def test_team_features_by_hand():
    attend = np.array([[1, 1, 0, 0],
                       [1, 1, 1, 0],
                       [1, 0, 0, 0]], dtype=bool)
    shared = {"char": np.array([0.5, 0.0, -1.0, 2.0]), "field": np.array([1.0, 0.0, 0.5, 0.0])}
    members = [{"field": np.array([1.0, 0.0, 0.0, 0.0])}, {"field": np.array([0.0, 0.0, 1.0, 1.0])},
               {"field": np.array([1.0, 0.0, 0.5, 0.0])}]
    topic, members_fit = np.array([2.0, 1.0, 0.0, -1.0]), np.array([0.8, 0.5, 0.2, 0.1])
    open_to_all = np.array([False, True, True, True])
    types = np.array(["austausch", "fortbildung", "fortbildung", "foerderung"], dtype=object)
    x = dict(zip(FEATURES, team_features(shared, members, topic, members_fit, attend, open_to_all, types).T))
    assert list(x["shared_char"]) == [0.5, 0.0, -1.0, 2.0] and list(x["shared_field"]) == [1.0, 0.0, 0.5, 0.0]
    assert list(x["topic"]) == [2.0, 1.0, 0.0, -1.0] and list(x["members"]) == [0.8, 0.5, 0.2, 0.1]
    assert x["member_field"] == pytest.approx([2 / 3, 0.0, 0.5, 1 / 3])
    assert list(x["everyone"]) == [1, 0, 0, 0] and list(x["all_but_one"]) == [0, 1, 0, 0]
    assert x["attend_share"] == pytest.approx([1.0, 2 / 3, 1 / 3, 0.0])
    assert x["everyone_x_topic"] == pytest.approx([2.0, 0, 0, 0])
    assert x["all_but_one_x_topic"] == pytest.approx([0, 1.0, 0, 0])
    assert list(x["named_for_everyone"]) == [1, 0, 0, 0]  # every member's role named, not open to all
    unknown = dict(zip(FEATURES, team_features(shared, members, topic, members_fit, attend, open_to_all, types,
                                               roles_known=False).T))
    assert list(unknown["named_for_everyone"]) == [0, 0, 0, 0]  # a member of unknown role may attend anything
    assert x["everyone_x_members"] == pytest.approx([0.8, 0, 0, 0])
    assert list(x["type_fortbildung"]) == [0, 1, 1, 0] and list(x["type_austausch"]) == [1, 0, 0, 0]
    assert sum(x[f"type_{t}"].sum() for t in OFFER_TYPES) == 4  # one type per offer


def test_expected_gain_sums_the_grade_chances_by_hand():
    coefficients = np.zeros((3, len(FEATURES)))
    coefficients[:, 0] = [1.0, 1.0, 1.0]
    model = TeamRelevance(coefficients, np.array([0.0, -1.0, -2.0]))
    features = np.zeros((2, len(FEATURES)))
    features[1, 0] = 1.0
    sig = lambda v: 1 / (1 + np.exp(-v))  # noqa: E731
    p = model.probabilities(features)
    assert p[:, 0] == pytest.approx([0.5, sig(-1), sig(-2)])
    assert p[:, 1] == pytest.approx([sig(1), 0.5, sig(-1)])
    # E[2^g - 1] = P(>=1) x 1 + P(>=2) x 2 + P(>=3) x 4
    assert model.expected_gain(features) == pytest.approx([0.5 + 2 * sig(-1) + 4 * sig(-2), sig(1) + 1 + 4 * sig(-1)])
    assert list(GAINS) == [1, 2, 4]


def test_grade_chances_never_grow_with_the_grade_where_separate_fits_cross():
    coefficients = np.zeros((3, len(FEATURES)))
    model = TeamRelevance(coefficients, np.array([-1.0, 0.0, 1.0]))  # would say P(>=3) > P(>=1)
    p = model.probabilities(np.zeros((1, len(FEATURES))))[:, 0]
    assert p == pytest.approx([1 / (1 + np.e)] * 3)


def test_fit_learns_that_more_of_a_feature_means_a_higher_grade():
    rng = np.random.default_rng(0)
    features = np.zeros((400, len(FEATURES)))
    features[:, 3] = rng.normal(size=400)  # topic
    grades = np.digitize(features[:, 3] + rng.normal(scale=0.3, size=400), [-0.5, 0.5, 1.5])
    model = fit(features, grades)
    assert (model.coefficients[:, 3] > 1).all()
    low, high = np.zeros((1, len(FEATURES))), np.zeros((1, len(FEATURES)))
    high[0, 3] = 2.0
    assert model.expected_gain(high)[0] > 5 * model.expected_gain(low)[0]


def test_the_shipped_model_exists_for_every_strategy_and_rewards_access_and_topic():
    def offer(topic, share):
        x = np.zeros((1, len(FEATURES)))
        everyone = float(share == 1.0)
        x[0, [FEATURES.index(f) for f in ("topic", "shared_field", "everyone", "attend_share", "everyone_x_topic",
                                         "type_fortbildung")]] = [topic, 1.0, everyone, share, everyone * topic, 1.0]
        return x
    for strategy in AGGREGATIONS:
        gain = shipped(strategy).expected_gain
        assert gain(offer(3.0, 1.0)) > gain(offer(3.0, 0.25))  # on the topic: for all above for one
        assert gain(offer(3.0, 1.0)) > gain(offer(0.0, 1.0))  # for all: on the topic above off it
        assert gain(offer(3.0, 1.0))[0] > 1.0 > gain(offer(-1.0, 1.0))[0]


def test_topic_utility_is_one_half_at_the_shift_and_grows_with_fit():
    topic, mask = np.array([0.0, 1.0, 2.0, 9.0]), np.array([True, True, True, False])
    z = (topic[:3] - 1.0) / np.std([0.0, 1.0, 2.0])  # standardised over the eligible offers only
    u = topic_utility(topic, mask, shift=0.0)
    assert u[:3] == pytest.approx(1 / (1 + np.exp(-z)))
    assert u[1] == pytest.approx(0.5)
    assert u[2] > 0.5 > u[0]


def test_fair_aggregates_the_members_by_their_average():
    assert aggregate(U, "fair") == pytest.approx(average(U))
    assert aggregate(U, "least_misery") == pytest.approx(least_misery(U))


def test_unknown_aggregation_is_refused_by_name(tiny_model):
    members = [parse_profile({"needs": "Beteiligung"}), parse_profile({"needs": "Beteiligung"})]
    with pytest.raises(MatcherInputError) as exc:
        recommend_group(tiny_model, members, 3, "median")
    assert exc.value.problems[0].loc == ("aggregation",)


@pytest.mark.parametrize("n", [0, 1, 13])
def test_team_size_is_two_to_twelve(tiny_model, n):
    with pytest.raises(MatcherInputError) as exc:
        recommend_group(tiny_model, [parse_profile({"needs": "x"})] * n, 3)
    assert exc.value.problems[0].loc == ("members",)


TEAM = [{"id": "plan", "role": "planung", "needs": "Beteiligung von Jugendlichen planen"},
        {"id": "rat", "role": "politik", "needs": "Jugendliche sollen in der Kommune mitreden"},
        {"id": "praxis", "role": "fachkraft", "needs": "Methoden der Jugendbeteiligung"}]


@pytest.mark.parametrize("aggregation", list(AGGREGATIONS))
def test_an_offer_open_to_the_whole_team_ranks_above_one_only_one_member_may_attend(tiny_model, aggregation):
    result = recommend_group(tiny_model, [parse_profile(m) for m in TEAM], 50, aggregation, today=TODAY)
    ids = [r.offer_id for r in result.recommendations]
    assert ids.index("t07") < ids.index("t02")  # t07: open to all; t02: only fachkraft
    if aggregation == DEFAULT_AGGREGATION:
        assert ids[0] == "t07"


def by_hand(**weights) -> TeamRelevance:
    """A relevance model that looks only at the named features (same weight at every threshold)."""
    coefficients = np.zeros((3, len(FEATURES)))
    for name, w in weights.items():
        coefficients[:, FEATURES.index(name)] = w
    return TeamRelevance(coefficients, np.array([0.0, -1.0, -2.0]))


def test_the_open_bonus_lifts_offers_the_whole_team_may_attend_into_the_first_places(tiny_model):
    members = [parse_profile(m) for m in TEAM]
    shy = by_hand(topic=2.0, everyone=-3.0)  # ranks the one offer open to all three (t07) last

    def ids(bonus, aggregation="average"):
        return [r.offer_id for r in recommend_group(tiny_model, members, 20, aggregation, today=TODAY, relevance=shy,
                                                    open_bonus=bonus, diversified=False).recommendations]
    plain, favoured = ids(0.0), ids(100.0)
    assert plain.index("t07") >= TEAM_PLACES  # without the bonus it is below the first places
    assert favoured == ["t07"] + [o for o in plain if o != "t07"]  # the rest keeps its order
    assert ids(100.0, "fair")[:TEAM_PLACES] == favoured[:TEAM_PLACES]  # fair shares the first places


def test_an_offer_no_member_may_attend_is_never_shown(tiny_model):
    members = [parse_profile(TEAM[0]), parse_profile(TEAM[1])]  # planung and politik
    result = recommend_group(tiny_model, members, 50, today=TODAY)
    assert result.recommendations and "t02" not in {r.offer_id for r in result.recommendations}  # fachkraft only
    assert all(any(m.may_attend for m in r.members) for r in result.recommendations)


def test_team_reasons_say_who_may_come_and_who_is_left_out(tiny_model):
    result = recommend_group(tiny_model, [parse_profile(m) for m in TEAM], 6, today=TODAY)
    by_id = {r.offer_id: r for r in result.recommendations}
    open_team = [render(x) for x in by_id["t07"].reasons]
    assert "für alle Rollen im Team geöffnet" in open_team
    assert "gemeinsames Thema: Beteiligung" in open_team
    assert set(by_id["t07"].served) <= {"plan", "rat", "praxis"}
    # a member's own reasons say why it fits them; access, region and cost are said once for the team
    member_kinds = {r.kind for rec in result.recommendations for m in rec.members for r in m.reasons}
    assert member_kinds and not member_kinds & {"role_open", "region", "cost", "deadline"}
    single = by_id["t02"]
    assert "nicht geöffnet für: Planung, Kommunalpolitik" in [render(x) for x in single.reasons]
    assert single.served == ("praxis",)
    assert {m.member_id: m.may_attend for m in single.members} == {"plan": False, "rat": False, "praxis": True}


def test_the_team_gets_only_offers_every_member_can_reach(tiny_model):
    members = [parse_profile({**TEAM[0], "region": "BY"}), parse_profile({**TEAM[1], "region": "NW"})]
    result = recommend_group(tiny_model, members, 50, today=TODAY)
    assert result.recommendations
    assert {r.offer.region for r in result.recommendations} == {"bund"}
    assert all(r.offer.valid_until is None or r.offer.valid_until >= TODAY for r in result.recommendations)


def test_group_cli_writes_one_line_per_team_and_skips_bad_teams(tmp_path, tiny_model_dir):
    src = tmp_path / "teams.jsonl"
    src.write_text(json.dumps({"id": "lindenau", "members": TEAM}, ensure_ascii=False) + "\n"
                   + json.dumps({"id": "klein", "members": TEAM[:1]}) + "\n"
                   + json.dumps({"id": "falsch", "members": [TEAM[0], {**TEAM[1], "region": "XX"}]}) + "\n",
                   encoding="utf-8")
    out = tmp_path / "out.jsonl"
    proc = run_cli("group", src, "--model", tiny_model_dir, "--out", out, "--top-k", "3", check_rc=1)
    assert "line 2: members: a team has 2 to 12 members, got 1" in proc.stderr
    assert "line 3: members[1].region: unknown region code 'XX'" in proc.stderr
    lines = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert [x["group_id"] for x in lines] == ["lindenau"]
    first = lines[0]["recommendations"][0]
    assert first["offer_id"] == "t07" and set(first) >= {"offer_id", "rank", "score", "reasons", "members"}
    assert set(first["members"]) <= {"plan", "rat", "praxis"}

    csv_out = tmp_path / "out.csv"
    run_cli("group", src, "--model", tiny_model_dir, "--out", csv_out, "--aggregation", "borda", check_rc=1)
    assert csv_out.read_text(encoding="utf-8-sig").splitlines()[0] == "group_id;rank;offer_id;score;reasons;members;title"


def test_a_member_with_two_roles_may_attend_offers_for_either():
    from matcher.teams import may_attend
    # offers: for leitung only, for politik only, for fachkraft only, open to all
    targets = np.zeros((4, len(ROLES)), dtype=bool)
    for offer, role in enumerate(("leitung", "politik", "fachkraft")):
        targets[offer, ROLES.index(role)] = True
    open_ = np.array([False, False, False, True])
    assert list(may_attend(targets, open_, ("leitung", "politik"))) == [True, True, False, True]
    assert list(may_attend(targets, open_, "politik")) == [False, True, False, True]
    assert list(may_attend(targets, open_, ())) == [True, True, True, True]


# Issue 25: access features carry only to catalogs with about as many offers open to all as the fitting one.

def test_access_carries_unless_the_catalog_has_under_the_floor_times_the_fitted_open_share():
    from matcher.teams._relevance import access_carries
    bundled, real = 31 / 350, 7 / 169  # 0.0886 and 0.0414 of the offers open to all roles
    # floor 0.5: the line lies at 0.5 x 31/350 = 0.0443
    assert not access_carries(real, bundled, 0.5)  # 0.0414 < 0.0443
    assert access_carries(0.05, bundled, 0.5)  # 0.05 >= 0.0443
    assert access_carries(0.5 * bundled, bundled, 0.5)  # on the line: carries
    assert access_carries(bundled, real, 0.5)  # more open offers than at fitting: carries
    assert access_carries(0.0, None, 0.5)  # fitting catalog unknown: never switch
    assert access_carries(0.0, 0.0, 0.5)


def test_a_catalog_with_far_fewer_open_offers_than_at_fitting_is_ranked_by_the_shared_need(tiny_model):
    from matcher.ranking import blend, score, select, standardise_signals, weights_for
    from matcher.ranking._blend import calibrated
    from matcher.teams import shared_need
    members = [parse_profile(m) for m in TEAM]
    assert tiny_model.open_to_all.mean() == pytest.approx(1 / 14)  # one offer of 14 open to all roles
    access = by_hand(topic=1.0, everyone=5.0)

    def result(open_share):
        fitted_ = TeamRelevance(access.coefficients, access.intercepts, open_share)
        return recommend_group(tiny_model, members, 8, today=TODAY, relevance=fitted_).recommendations
    # fitted where 20 % were open: 1/14 = 0.071 < 0.5 x 0.2 = 0.1, so the shared need ranks, as one person's query
    weights = weights_for(tiny_model)
    mask = np.ones(len(tiny_model.offers), dtype=bool)
    for m in members:
        mask &= tiny_model.eligible(m.region, TODAY.toordinal())
    shared = blend(standardise_signals(score(tiny_model, [shared_need(members)])[0].raw, mask), weights)
    expected = [tiny_model.offer_ids[i] for i in select(tiny_model.offer_index, shared, mask, 8, weights)]
    by_need = result(0.2)
    assert [r.offer_id for r in by_need] == expected
    assert [r.score for r in by_need] == [round(float(calibrated(shared[tiny_model.index[o]], weights)), 4)
                                          for o in expected]
    # fitted where 10 % were open: 0.071 >= 0.05, the team model ranks as if the share were unknown
    assert [r.offer_id for r in result(0.1)] == [r.offer_id for r in result(None)]
    assert result(None)[0].offer_id == "t07"  # the one offer open to all leads under access=5


def test_the_team_model_keeps_its_fitting_catalogs_open_share_through_a_file():
    model = TeamRelevance(np.zeros((3, len(FEATURES))), np.array([0.0, -1.0, -2.0]), 0.0886)
    assert TeamRelevance.from_dict(json.loads(json.dumps(model.to_dict()))).open_share == 0.0886
    old = {k: v for k, v in model.to_dict().items() if k != "open_share"}  # a file written before issue 25
    assert TeamRelevance.from_dict(old).open_share is None


def test_the_shipped_model_knows_the_bundled_catalogs_open_share(bundled_model):
    for strategy in AGGREGATIONS:
        assert shipped(strategy).open_share == pytest.approx(bundled_model.open_to_all.mean(), abs=1e-6)


def test_borda_over_a_sample_gives_each_offer_the_share_of_sampled_offers_it_ranks_above():
    U = np.array([[0.1, 0.9, 0.5, 0.3],
                  [0.8, 0.2, 0.6, 0.4]])
    stats = np.array([True, False, True, True])  # offers 0, 2, 3 stand for all
    # sampled offers below each offer: member 1 (0.1, 0.5, 0.3) 0, 3, 2, 1; member 2 (0.8, 0.6, 0.4) 2, 0, 1, 0;
    # mean over members, over (3 sampled - 1)
    assert borda(U, stats) == pytest.approx([1 / 2, 1.5 / 2, 1.5 / 2, 0.5 / 2])
    assert np.array_equal(borda(U, np.ones(4, dtype=bool)), borda(U))  # all of them: Borda itself
