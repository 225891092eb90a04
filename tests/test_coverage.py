import csv
import io
import json
from datetime import date

import pytest

from matcher import fit_model, parse_profile
from matcher.coverage import MIN_DEMAND, OPEN_WEIGHT, DemandRecord, coverage_report, field_coverage, gini, wilson
from matcher.core import Offer

from conftest import run_cli

TODAY = date(2026, 11, 25)


def offer(i, roles, fields=("praevention",), expired=False, provider="A", region="bund", title=None):
    return Offer(id=f"o{i}", title=title or f"Angebot {i}", description="Beschreibung", provider=provider,
                 target_roles=tuple(roles), fields=tuple(fields), offer_type="fortbildung", format="online",
                 region=region, cost="kostenfrei", valid_until=date(2020, 1, 1) if expired else None)


def demand(role, n, fields=("praevention",), region=None):
    return [DemandRecord(role, tuple(fields), region)] * n


def test_wilson_interval_by_hand():
    low, high = wilson(5, 10)
    # p = 0.5, z = 1.96: centre 0.5, half = 1.96 * sqrt(0.025 + 0.00960) / 1.38416
    half = 1.96 * ((0.25 / 10 + 1.96**2 / 400) ** 0.5) / (1 + 1.96**2 / 10)
    assert (low, high) == pytest.approx((0.5 - half, 0.5 + half))
    assert wilson(0, 0) == (0.0, 1.0)


def test_gini_by_hand():
    assert gini([1, 1, 1, 1]) == 0.0
    # values 0, 0, 0, 4: (2*4 - 4 - 1) * 4 / (4 * 4) = 0.75
    assert gini([0, 0, 0, 4]) == pytest.approx(0.75)
    assert gini([]) == 0.0


def test_shares_and_gap_on_a_hand_computed_catalog():
    # 3 offers for fachkraft, 1 for planung, 1 open to all, 1 expired for planung (left out)
    offers = [offer(1, ["fachkraft"]), offer(2, ["fachkraft"]), offer(3, ["fachkraft"]), offer(4, ["planung"]),
              offer(5, []), offer(6, ["planung"], expired=True)]
    people = demand("fachkraft", 10) + demand("planung", 10)
    fc = field_coverage(offers, people, "praevention", today=TODAY)
    assert fc.offers == 5 and fc.open_offers == 1 and fc.demand_total == 20
    total = 3 + 1 + 7 * OPEN_WEIGHT  # every role gets a seventh of the open offer
    fach, plan, pol = fc.cell("fachkraft"), fc.cell("planung"), fc.cell("politik")
    assert fach.supply_share == pytest.approx((3 + 1 / 7) / total, abs=1e-4)
    assert plan.supply_share == pytest.approx((1 + 1 / 7) / total, abs=1e-4)
    assert pol.supply_share == pytest.approx((1 / 7) / total, abs=1e-4)
    assert plan.demand_share == 0.5 and plan.gap == pytest.approx(0.5 - (1 + 1 / 7) / total, abs=1e-4)
    # planung: 10 of 20 ask (>= MIN_DEMAND), gap 0.5 - 0.2 = 0.3, Wilson low 0.30 > 0.2
    assert fc.underserved == ("planung",)
    assert not fach.underserved  # asks 50 %, has 63 % of the supply


def test_a_small_sample_is_never_called_underserved():
    offers = [offer(1, ["fachkraft"]) for _ in range(5)]
    people = demand("planung", MIN_DEMAND - 1) + demand("fachkraft", 1)
    fc = field_coverage(offers, people, "praevention", today=TODAY)
    assert fc.cell("planung").demand_share == pytest.approx(0.8)
    assert fc.underserved == ()


def test_region_filters_offers_and_demand():
    offers = [offer(1, ["fachkraft"], region="NW"), offer(2, ["planung"], region="BY"), offer(3, ["planung"])]
    people = demand("planung", 6, region="NW") + demand("planung", 6, region="BY")
    fc = field_coverage(offers, people, "praevention", today=TODAY, region="NW")
    assert fc.offers == 2 and fc.demand_total == 6


def test_report_json_has_the_contract_shape_and_the_rule():
    offers = [offer(1, ["fachkraft"]), offer(2, ["fachkraft"]), offer(3, ["planung"])]
    data = coverage_report(offers, demand("planung", 8) + demand("fachkraft", 2), today=TODAY).to_dict()
    assert {"generated", "rule", "fields"} <= set(data)
    prae = next(f for f in data["fields"] if f["field"] == "praevention")
    assert prae["offers"] == 3 and prae["underserved"] == ["planung"]
    assert {"role", "supply", "supply_share", "demand", "demand_share", "gap", "underserved"} <= set(prae["roles"][0])
    assert "95-%-Konfidenzintervall" in data["rule"]
    assert any("unterversorgt sind Planungskräfte" in s for s in data["summary"])


def hidden_gap_catalog(path):
    """A generated catalog: every field well served for all roles, except klima, where no offer names politik."""
    from matcher.core import FIELDS, ROLES
    lines, n = [], 0
    for field in FIELDS:
        for role in ROLES:
            if field == "klima" and role == "politik":
                continue
            for _ in range(3):
                n += 1
                lines.append({"id": f"g{n}", "title": f"{field} für {role} {n}", "description": "Generiert.",
                              "provider": f"Anbieter {n % 4}", "target_roles": [role], "fields": [field],
                              "offer_type": "fortbildung", "format": "online", "region": "bund",
                              "cost": "kostenfrei"})
    path.write_text("".join(json.dumps(x) + "\n" for x in lines), encoding="utf-8")


def hidden_gap_model(tmp_path):
    """A model trained by the CLI on the generated catalog with a gap hidden in it."""
    catalog = tmp_path / "catalog.jsonl"
    hidden_gap_catalog(catalog)
    model_dir = tmp_path / "m"
    run_cli("train", "--catalog", catalog, "--model", model_dir, check_rc=0)
    return model_dir


def test_the_report_finds_a_gap_hidden_in_a_generated_catalog(tmp_path):
    from matcher.core import ROLES
    model_dir = hidden_gap_model(tmp_path)
    profiles = tmp_path / "survey.jsonl"
    people = [{"id": f"{role}{i}", "role": role, "fields": ["klima"], "needs": "Klimaschutz in der Kommune"}
              for role in ROLES for i in range(8)]
    profiles.write_text("".join(json.dumps(p) + "\n" for p in people), encoding="utf-8")
    out = tmp_path / "gaps.json"
    run_cli("coverage", "--model", model_dir, "--profiles", profiles, "--field", "klima", "--out", out, check_rc=0)
    report = json.loads(out.read_text(encoding="utf-8"))
    klima = report["fields"][0]
    assert klima["field"] == "klima" and klima["underserved"] == ["politik"]
    for fmt in ("csv", "html"):
        run_cli("coverage", "--model", model_dir, "--profiles", profiles, "--out", tmp_path / f"gaps.{fmt}",
                check_rc=0)
    rows = list(csv.DictReader(io.StringIO((tmp_path / "gaps.csv").read_text(encoding="utf-8-sig")), delimiter=";"))
    assert {(r["field"], r["role"]) for r in rows if r["underserved"] == "True"} == {("klima", "politik")}
    html = (tmp_path / "gaps.html").read_text(encoding="utf-8")
    assert html.startswith("<!doctype html>") and 'lang="de"' in html and "data:image/png;base64," in html
    assert "http://" not in html and "https://" not in html  # self-contained: no outside links


def test_coverage_refuses_an_unknown_output_format(tmp_path, tiny_model_dir):
    proc = run_cli("coverage", "--model", tiny_model_dir, "--out", tmp_path / "x.pdf", check_rc=2)
    assert "output must end in .json, .csv, .xlsx, .html" in proc.stderr


def test_markup_and_formulas_in_offer_fields_are_neutralised(tmp_path):
    from matcher.batch import score_file
    from matcher.coverage import exposure
    from matcher.coverage import write_coverage
    offers = [offer(1, ["planung"], title='=HYPERLINK("x")', provider="<script>alert(1)</script>"),
              offer(2, ["fachkraft"], provider="@SUM(A1)")]
    model = fit_model(offers, encoder=None)
    src = tmp_path / "p.jsonl"
    src.write_text(json.dumps({"id": "=1+1", "needs": "Angebot", "role": "planung"}) + "\n", encoding="utf-8")
    score_file(model, src, tmp_path / "out.csv", top_k=2)
    rows = list(csv.reader(io.StringIO((tmp_path / "out.csv").read_text(encoding="utf-8-sig")), delimiter=";"))
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows[1:] for cell in row)
    profiles = [parse_profile({"needs": "Angebot", "role": "planung", "fields": ["praevention"]})]
    report = coverage_report(offers, demand("planung", 6), today=TODAY,
                             exposure=exposure(model, profiles, today=TODAY))
    write_coverage(report, tmp_path / "r.html")
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html


def test_the_bundled_catalog_shows_the_analysis_finding(bundled_model):
    from conftest import ROOT
    from matcher.io import read_profiles
    from matcher.coverage import demand_records
    profiles = [p for _, p, _ in read_profiles(ROOT / "data" / "survey_profiles.jsonl")]
    report = coverage_report(bundled_model.offers, demand_records(bundled_model, profiles), today=TODAY)
    by_field = {fc.field: fc for fc in report.fields}
    for field in ("praevention", "beteiligung"):
        fc = by_field[field]
        assert "planung" in fc.underserved
        assert fc.cell("fachkraft").supply_share > 2 * fc.cell("planung").supply_share
