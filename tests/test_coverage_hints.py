"""Gaps that show while the sample is small (indicative cells, with the requests that would settle them), and the
supply-only view against a reference mix of roles: hand-computed expectations, and the CLI as a user runs it."""
import csv
import io
import json

import pytest

from matcher.coverage import (MIN_GAP, coverage_report, field_coverage, gap_status, requests_to_settle, wilson,
                              with_reference)
from matcher.core import MatcherInputError, ROLES
from matcher.io import read_reference_roles

from conftest import run_cli
from test_coverage import TODAY, demand, hidden_gap_model, offer


def test_two_of_nine_against_a_tenth_of_the_supply_is_indicative_and_four_more_would_settle_it():
    # the case: 2 of 9 ask (22 %), supply share 10 %: 12 points above, but only 2 people
    assert gap_status(2, 9, 0.10) == "indicative"
    # at the current share 2/9, k more of the role come with k * 9/2 requests in all. Wilson lower bounds, z = 1.96:
    #   5 of 22.5: centre (0.2222 + 0.0854) / 1.1707 = 0.2627, half 0.1638 -> 0.0989, not above 0.10
    #   6 of 27:   centre (0.2222 + 0.0711) / 1.1423 = 0.2568, half 0.1508 -> 0.1061, above 0.10
    assert wilson(5, 22.5)[0] == pytest.approx(0.0989, abs=1e-4)
    assert wilson(6, 27)[0] == pytest.approx(0.1061, abs=1e-4)
    assert requests_to_settle(2, 9, 0.10) == 6 - 2


def test_status_is_underserved_by_today_s_rule_and_none_without_a_clear_excess():
    assert gap_status(10, 20, 0.2) == "underserved"  # 50 % vs 20 %, Wilson low 0.30
    assert gap_status(2, 20, 0.05) is None  # 10 % vs 5 %: 5 points, below MIN_GAP
    assert gap_status(0, 0, 0.0) is None
    assert gap_status(1, 2, 0.5 - MIN_GAP) == "indicative"  # exactly MIN_GAP above counts
    assert requests_to_settle(1, 1, 0.99) is None  # 100 % vs 99 %: no sample settles it within the cap


def test_cells_carry_the_status_and_the_field_lists_indicative_beside_underserved():
    # supply: 8 for fachkraft, 1 for planung, 1 for politik; demand: 10 fachkraft, 10 planung, 2 politik of 22
    offers = [offer(i, ["fachkraft"]) for i in range(8)] + [offer(8, ["planung"]), offer(9, ["politik"])]
    people = demand("fachkraft", 10) + demand("planung", 10) + demand("politik", 2)
    fc = field_coverage(offers, people, "praevention", today=TODAY)
    plan, pol, fach = fc.cell("planung"), fc.cell("politik"), fc.cell("fachkraft")
    assert (plan.status, plan.to_settle) == ("underserved", None)  # 45 % vs 10 %
    # politik: 2/22 = 9.1 % against 10 %: no excess at all
    assert pol.status is None and fach.status is None  # 45 % vs 80 %
    people = demand("fachkraft", 10) + demand("planung", 10) + demand("politik", 5) + demand("leitung", 2)
    fc = field_coverage(offers + [offer(10, ["leitung"])], people, "praevention", today=TODAY)
    lei = fc.cell("leitung")  # 2 of 27 = 7.4 % against 1/11 = 9.1 %: none; politik 5/27 = 18.5 % vs 9.1 %: 9.4 p.
    assert lei.status is None and fc.cell("politik").status is None
    people = demand("fachkraft", 10) + demand("planung", 10) + demand("politik", 6)
    fc = field_coverage(offers, people, "praevention", today=TODAY)
    pol = fc.cell("politik")  # 6/26 = 23.1 % vs 10 %: 13.1 points; Wilson low of 6/26 is 0.110 > 0.10
    assert pol.status == "underserved"
    people = demand("fachkraft", 10) + demand("planung", 10) + demand("politik", 4)
    fc = field_coverage(offers, people, "praevention", today=TODAY)
    pol = fc.cell("politik")  # 4/24 = 16.7 % vs 10 %: 6.7 points: none
    assert pol.status is None
    people = demand("fachkraft", 2) + demand("planung", 1) + demand("politik", 2)
    fc = field_coverage(offers, people, "praevention", today=TODAY)
    # politik 2/5 = 40 % vs 10 %, planung 1/5 = 20 % vs 10 %: both a hint, politik (30 points) first
    assert fc.indicative == ("politik", "planung") and fc.underserved == ()
    assert fc.cell("politik").to_settle == requests_to_settle(2, 5, 0.1) and fc.cell("politik").to_settle >= 3
    report = coverage_report(offers, people, today=TODAY, fields=["praevention"]).to_dict()
    row = report["fields"][0]
    assert row["indicative"] == ["politik", "planung"] and row["underserved"] == []
    assert {r["role"]: r["status"] for r in row["roles"]}["politik"] == "indicative"
    assert "Hinweis" in report["indicative_rule"]
    assert any("noch nicht sichert" in s for s in report["summary"])


def test_a_reference_mix_sets_supply_against_it_without_any_demand():
    # supply: 8 fachkraft, 1 planung, 1 politik (shares 0.8, 0.1, 0.1); reference: 50 fachkraft, 40 planung, 10
    offers = [offer(i, ["fachkraft"]) for i in range(8)] + [offer(8, ["planung"]), offer(9, ["politik"])]
    report = with_reference(coverage_report(offers, [], today=TODAY, fields=["praevention"]),
                            {"fachkraft": 50, "planung": 40, "politik": 10}, "personal.csv")
    fc = report.fields[0]
    assert fc.cell("planung").reference_share == 0.4 and fc.cell("planung").reference_gap == pytest.approx(0.3)
    assert fc.cell("politik").reference_gap == pytest.approx(0.0)
    assert fc.cell("verwaltung").reference_share == 0.0  # a role the mix leaves out counts 0
    assert fc.below_reference == ("planung",)
    out = report.to_dict()
    assert out["reference"]["shares"]["planung"] == 0.4 and out["fields"][0]["below_reference"] == ["planung"]
    assert any("in der Referenz stellen sie 40 %" in s for s in report.summary)


def test_reference_files_in_csv_with_german_headers_and_in_jsonl(tmp_path):
    path = tmp_path / "personal.csv"
    path.write_text("Rolle;Anzahl\nverwaltung;120\nplanung;12,5\n", encoding="utf-8-sig")
    assert read_reference_roles(path) == {"verwaltung": 120.0, "planung": 12.5}
    path = tmp_path / "personal.jsonl"
    path.write_text('{"role": "fachkraft", "count": 3}\n', encoding="utf-8")
    assert read_reference_roles(path) == {"fachkraft": 3.0}


@pytest.mark.parametrize("text, expected", [
    ("role;count\nverwaltug;3\n", ((2, "role"), "did you mean 'verwaltung'?")),
    ("role;count\nplanung;3\nplanung;4\n", ((3, "role"), "given twice")),
    ("role;count\nplanung;-1\n", ((2, "count"), "at least 0")),
    ("role;count\nplanung;viele\n", ((2, "count"), "got 'viele'")),
    ("role;count\nplanung;0\n", ((), "no role a count above 0")),
    ("", ((), "is empty")),
])
def test_a_bad_reference_file_names_the_line_and_the_field(tmp_path, text, expected):
    path = tmp_path / "ref.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(MatcherInputError) as exc:
        read_reference_roles(path)
    loc, words = expected
    assert any(p.loc == loc and words in p.msg for p in exc.value.problems), exc.value.problems


def test_coverage_cli_writes_hints_and_the_reference_view_in_every_format(tmp_path):
    model_dir = hidden_gap_model(tmp_path)
    profiles = tmp_path / "survey.jsonl"
    people = [{"id": f"p{i}", "role": "fachkraft", "fields": ["klima"], "needs": "Klimaschutz"} for i in range(5)]
    people += [{"id": "r1", "role": "politik", "fields": ["klima"], "needs": "Klimaschutz im Rat"},
               {"id": "r2", "role": "politik", "fields": ["klima"], "needs": "Klimaschutz im Rat"}]
    profiles.write_text("".join(json.dumps(p) + "\n" for p in people), encoding="utf-8")
    reference = tmp_path / "personal.csv"
    reference.write_text("role;count\n" + "".join(f"{r};10\n" for r in ROLES), encoding="utf-8")
    for fmt in ("json", "csv", "html"):
        run_cli("coverage", "--model", model_dir, "--profiles", profiles, "--field", "klima", "--reference-roles",
                reference, "--out", tmp_path / f"gaps.{fmt}", check_rc=0)
    klima = json.loads((tmp_path / "gaps.json").read_text(encoding="utf-8"))["fields"][0]
    assert klima["indicative"] == ["politik"] and "politik" not in klima["underserved"]  # 2 of 7: a hint
    assert "politik" in klima["below_reference"]  # a seventh of the staff, hardly any offer
    rows = list(csv.DictReader(io.StringIO((tmp_path / "gaps.csv").read_text(encoding="utf-8-sig")), delimiter=";"))
    politik = next(r for r in rows if r["role"] == "politik")
    assert politik["status"] == "indicative" and int(politik["to_settle"]) > 0 and politik["reference_share"]
    html = (tmp_path / "gaps.html").read_text(encoding="utf-8")
    assert "weitere Anfragen dieser Rolle würden die Lücke sichern" in html and "unter Referenz" in html
    bad = tmp_path / "bad.csv"
    bad.write_text("role;count\nrat;3\n", encoding="utf-8")
    proc = run_cli("coverage", "--model", model_dir, "--reference-roles", bad, "--out", tmp_path / "new.json",
                   check_rc=1)
    assert "line 2: role: unknown role code 'rat'" in proc.stderr and not (tmp_path / "new.json").exists()
