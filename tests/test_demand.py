"""The demand log written by real requests, read back by `matcher coverage`, and never holding free text."""
import json
import logging
from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient

from matcher.coverage import DemandLog
from matcher.ranking import Interpretation
from matcher.core import Profile
from service.main import create_app
from service.settings import Settings

from conftest import run_cli

NEEDS = "Wir wollen Jugendliche am Bau des Skateparks Lindenstraße beteiligen"
TITLE = "Jugendhilfeplanerin Kreis Musterhausen"


def test_requests_are_logged_as_codes_only_and_read_back_by_coverage(tmp_path, tiny_model, tiny_model_dir):
    db = tmp_path / "demand.sqlite"
    app = create_app(model=tiny_model, settings=Settings(model_dir=None, demand_db=f"sqlite:///{db}"))
    with TestClient(app) as client:
        for region in ("NW", "NW", "BY"):
            body = {"profile": {"role_title": TITLE, "needs": NEEDS, "region": region}, "top_k": 3}
            assert client.post("/recommendations", json=body).status_code == 200
        assert client.get("/", params={"titel": TITLE, "bedarf": NEEDS, "land": "HE"}).status_code == 200
        team = {"members": [{"role_title": TITLE, "needs": NEEDS}, {"role": "politik", "needs": NEEDS}]}
        assert client.post("/recommendations/group", json=team).status_code == 200
        coverage = client.get("/coverage", params={"field": "beteiligung"}).json()
    assert coverage["demand_total"] == 6
    raw = db.read_bytes()
    for secret in ("Skatepark", "Lindenstra", "Musterhausen", "Jugendhilfeplanerin", "Jugendliche"):
        assert secret.encode() not in raw, secret
    records = DemandLog(f"sqlite:///{db}").read()
    assert sorted(r.region or "-" for r in records) == ["-", "-", "BY", "HE", "NW", "NW"]
    assert {r.role for r in records} == {"planung", "politik"}
    assert all("beteiligung" in r.fields and r.day == date.today() for r in records)

    out = tmp_path / "gaps.json"
    run_cli("coverage", "--model", tiny_model_dir, "--demand-db", f"sqlite:///{db}", "--out", out, check_rc=0)
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["demand_total"] == 6 and "Anfrageprotokoll (6 Anfragen)" in report["demand_sources"]


def test_an_unavailable_database_never_stops_a_recommendation(tiny_model, caplog):
    app = create_app(model=tiny_model, settings=Settings(model_dir=None,
                                                          demand_db="sqlite:////nonexistent/dir/demand.sqlite"))
    with caplog.at_level(logging.ERROR), TestClient(app) as client:
        for _ in range(3):
            body = {"profile": {"needs": NEEDS}, "top_k": 2}
            assert client.post("/recommendations", json=body).status_code == 200
        assert client.get("/coverage").status_code == 200
    failures = [r for r in caplog.records if "demand log" in r.getMessage()]
    assert len(failures) == 1


def test_retention_deletes_old_rows(tmp_path):
    log = DemandLog(f"sqlite:///{tmp_path / 'd.sqlite'}", retention_days=30)
    it = Interpretation("planung", 0.9, "title", ("beteiligung",), "inferred")
    today = date(2026, 11, 25)
    log.record(it, Profile(needs="x"), day=today - timedelta(days=40))
    log.record(it, Profile(needs="x"), day=today - timedelta(days=10))
    assert log.purge(today) == 1
    assert [r.day for r in log.read()] == [today - timedelta(days=10)]


@pytest.fixture(scope="module")
def survey_client(tiny_model, tmp_path_factory):
    survey = tmp_path_factory.mktemp("survey") / "survey.jsonl"
    people = [{"role": "planung", "fields": ["beteiligung"], "needs": "Beteiligung planen"}] * 8 + \
             [{"role": "fachkraft", "fields": ["beteiligung"], "needs": "Methoden"}] * 2
    survey.write_text("".join(json.dumps(p) + "\n" for p in people), encoding="utf-8")
    app = create_app(model=tiny_model, settings=Settings(model_dir=None, demand_profiles=str(survey)))
    with TestClient(app) as client:
        yield client


def test_coverage_endpoint_counts_the_survey_and_filters(survey_client):
    data = survey_client.get("/coverage", params={"field": "beteiligung"}).json()
    assert [f["field"] for f in data["fields"]] == ["beteiligung"]
    assert data["fields"][0]["underserved"] == ["planung"]
    assert survey_client.get("/coverage", params={"field": "sport"}).status_code == 422
    assert survey_client.get("/coverage", params={"region": "NRW"}).status_code == 422


def test_portfolio_endpoint_and_404_for_unknown_providers(survey_client):
    data = survey_client.get("/providers/Akademie für Jugendarbeit Franken/portfolio").json()
    assert data["provider"] == "Akademie für Jugendarbeit Franken" and data["offers"] == 2
    assert data["table"]["beteiligung"]["fachkraft"] == 1
    gap = next(g for g in data["gaps"] if g["field"] == "beteiligung" and g["role"] == "planung")
    assert gap["could_fill"] and gap["provider_offers_in_field"] == 2
    missing = survey_client.get("/providers/Akademie Franken/portfolio")
    assert missing.status_code == 404
    assert "did you mean 'Akademie für Jugendarbeit Franken'" in missing.json()["detail"][0]["msg"]


def test_provider_page_shows_underserved_roles_and_escapes(survey_client):
    html = survey_client.get("/anbieter", params={"anbieter": "Akademie für Jugendarbeit Franken"}).text
    assert "Beteiligung: Planung" in html and "eine Lücke, die Sie schließen könnten" in html
    bad = survey_client.get("/anbieter", params={"anbieter": "<b>x</b>", "feld": "sport"})
    assert bad.status_code == 422 and "<b>x</b>" not in bad.text and "&lt;b&gt;x&lt;/b&gt;" in bad.text


def test_portfolio_cli_writes_json_csv_and_html(tmp_path, tiny_model_dir):
    for fmt in ("json", "csv", "html"):
        run_cli("portfolio", "--model", tiny_model_dir, "--provider", "akademie für jugendarbeit franken",
                "--out", tmp_path / f"p.{fmt}", check_rc=0)
    assert json.loads((tmp_path / "p.json").read_text(encoding="utf-8"))["offers"] == 2
    proc = run_cli("portfolio", "--model", tiny_model_dir, "--provider", "Niemand", "--out", tmp_path / "x.json",
                   check_rc=2)
    assert "no provider named 'Niemand'" in proc.stderr


def test_the_demand_log_works_on_postgresql(tmp_path, tiny_model, tiny_model_dir):
    from sqlalchemy import create_engine

    from matcher.coverage import metadata
    from postgres import postgres_url
    url = postgres_url()
    metadata.drop_all(create_engine(url))  # a clean table for this run
    app = create_app(model=tiny_model, settings=Settings(model_dir=None, demand_db=url))
    with TestClient(app) as client:
        for region in ("NW", "BY"):
            body = {"profile": {"role_title": TITLE, "needs": NEEDS, "region": region}, "top_k": 2}
            assert client.post("/recommendations", json=body).status_code == 200
        app.state.demand_log.flush()  # the service's writer thread has stored both rows
    records = DemandLog(url).read()
    assert sorted(r.region for r in records) == ["BY", "NW"] and {r.role for r in records} == {"planung"}
    out = tmp_path / "gaps.json"
    run_cli("coverage", "--model", tiny_model_dir, "--demand-db", url, "--out", out, check_rc=0)
    assert json.loads(out.read_text(encoding="utf-8"))["demand_total"] == 2


def test_a_small_sample_shows_as_a_hint_over_http_and_on_the_provider_page(tiny_model, tmp_path):
    # Beteiligung in the tiny catalog: Leitung holds 3.6 % of the supply; 2 of 12 requests (16.7 %) are 13 points
    # above it, but two people cannot settle a gap: indicative, and 3 more Leitung requests would settle it
    survey = tmp_path / "survey.jsonl"
    people = [{"role": "planung", "fields": ["beteiligung"], "needs": "Beteiligung planen"}] * 8 + \
             [{"role": "fachkraft", "fields": ["beteiligung"], "needs": "Methoden"}] * 2 + \
             [{"role": "leitung", "fields": ["beteiligung"], "needs": "Steuerung"}] * 2
    survey.write_text("".join(json.dumps(p) + "\n" for p in people), encoding="utf-8")
    app = create_app(model=tiny_model, settings=Settings(model_dir=None, demand_profiles=str(survey)))
    with TestClient(app) as client:
        data = client.get("/coverage", params={"field": "beteiligung"}).json()
        html = client.get("/anbieter", params={"feld": "beteiligung"}).text
    field = data["fields"][0]
    assert field["underserved"] == ["planung"] and field["indicative"] == ["leitung"]
    leitung = next(c for c in field["roles"] if c["role"] == "leitung")
    assert leitung["status"] == "indicative" and leitung["to_settle"] == 3
    assert "Hinweise, noch nicht gesichert" in html and 'class="gap-hint"' in html
    assert "Leitung (2 von 12 Anfragen, +13 Prozentpunkte; 3 weitere Anfragen dieser Rolle würden die Lücke sichern)" \
        in html


def test_rows_a_locked_database_refuses_are_kept_and_written_later_within_a_bound(tmp_path):
    import sqlite3

    db = tmp_path / "demand.sqlite"
    log = DemandLog(f"sqlite:///{db}")
    log.max_pending = 3
    read_as = Interpretation("planung", 1.0, "given", ("beteiligung",), "given")
    log.record(read_as, Profile(needs="x"))
    log.flush()
    locker = sqlite3.connect(db, timeout=0)
    locker.execute("BEGIN EXCLUSIVE")  # another process holds the database
    for _ in range(5):
        log.record(read_as, Profile(needs="x"))
    log.flush()  # refused: kept, at most max_pending of them, the oldest dropped
    assert len(log.pending) == 3 and log.dropped == 2
    locker.rollback()
    locker.close()
    log.record(read_as, Profile(needs="x"))  # the next batch takes the kept rows along
    assert len(log.read()) == 1 + 3 + 1 and log.pending == []
