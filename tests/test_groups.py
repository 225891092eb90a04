import json
from datetime import date

import numpy as np
import pytest

from matcher import MatcherInputError, parse_profile
from matcher.explain import render
from matcher.groups import (AGGREGATIONS, DEFAULT_AGGREGATION, TEAM_PLACES, access, average, borda, fair_greedy,
                            least_misery, recommend_group, topic_fit, topic_utility)

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


def test_access_follows_the_steps_of_the_team_grades():
    attend = np.array([[1, 1, 0, 0, 1],
                       [1, 1, 1, 0, 0],
                       [1, 0, 0, 0, 0]], dtype=bool)
    # all three may attend, all but one, one of three, nobody, one of three
    assert access(attend) == pytest.approx([1.0, 2 / 3, 1 / 3, 0.0, 1 / 3])
    assert access(np.array([[1, 0], [0, 0]], dtype=bool)) == pytest.approx([2 / 3, 0.0])  # two members


def test_topic_utility_is_one_half_at_the_shift_and_grows_with_fit():
    topic, mask = np.array([0.0, 1.0, 2.0, 9.0]), np.array([True, True, True, False])
    z = (topic[:3] - 1.0) / np.std([0.0, 1.0, 2.0])  # standardised over the eligible offers only
    u = topic_utility(topic, mask, shift=0.0, temperature=1.0)
    assert u[:3] == pytest.approx(1 / (1 + np.exp(-z)))
    assert u[1] == pytest.approx(0.5)
    steep = topic_utility(topic, mask, shift=0.0, temperature=0.5)
    assert steep[2] > u[2] > 0.5 > u[0] > steep[0]


def test_topic_fit_mixes_the_aggregated_members_and_the_shared_need_by_hand():
    shared = np.array([0.2, 0.8, 0.4])
    expected = [0.5 * 0.5 + 0.5 * 0.2, 0.5 * 0.55 + 0.5 * 0.8, 0.5 * 0.15 + 0.5 * 0.4]  # member mean, shared
    assert topic_fit(U, shared, "average", 0.5) == pytest.approx(expected)
    lm = [0.5 * 0.1 + 0.5 * 0.2, 0.5 * 0.5 + 0.5 * 0.8, 0.5 * 0.0 + 0.5 * 0.4]
    assert topic_fit(U, shared, "least_misery", 0.5) == pytest.approx(lm)
    assert topic_fit(U, shared, "fair", 0.5) == pytest.approx(expected)  # fair orders by average
    assert topic_fit(U, shared, "borda", 1.0) == pytest.approx(shared)


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


def test_the_first_places_go_by_team_score_and_the_rest_weighs_part_teams_more(tiny_model):
    result = recommend_group(tiny_model, [parse_profile(m) for m in TEAM], 10, "average", today=TODAY,
                             diversified=False, later_access=0.5)
    scores = [r.score for r in result.recommendations]
    first, rest = scores[:TEAM_PLACES], result.recommendations[TEAM_PLACES:]
    assert first == sorted(first, reverse=True) and min(first) >= max(scores[TEAM_PLACES:])
    # below the first places an offer counts access ** 0.5 x fit = score / access ** 0.5
    later = [r.score / access(np.array([[m.may_attend] for m in r.members]))[0] ** 0.5 for r in rest]  # access > 0
    assert rest and later == sorted(later, reverse=True)
    flat = recommend_group(tiny_model, [parse_profile(m) for m in TEAM], 10, "average", today=TODAY,
                           diversified=False, later_access=1.0)
    assert [r.score for r in flat.recommendations] == sorted(r.score for r in flat.recommendations)[::-1]


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
