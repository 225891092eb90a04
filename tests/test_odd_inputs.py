"""Inputs found by review that once crashed or misled; each now gets a clear answer."""
import csv
import io
import json

import pytest
from fastapi.testclient import TestClient

from matcher import read_catalog
from service.main import create_app
from service.settings import Settings

from conftest import TINY_CATALOG, run_cli
from test_catalog import GOOD, write_jsonl


@pytest.mark.parametrize("line, type_", [
    ('{"id": ' + "[" * 100000 + "]" * 100000 + "}", "invalid_json"),
    ('{"id": "x", "n": ' + "9" * 5000 + "}", "invalid_json"),
], ids=["nested-too-deep", "number-too-long"])
def test_json_that_python_cannot_hold_is_invalid_json(tmp_path, line, type_):
    path = tmp_path / "c.jsonl"
    path.write_text(json.dumps(GOOD) + "\n" + line + "\n", encoding="utf-8")
    offers, problems = read_catalog(path)
    assert len(offers) == 1 and [(p.loc, p.type) for p in problems] == [((2,), type_)]


@pytest.mark.parametrize("change, loc, type_", [
    ({"id": "sur\ud800"}, (2, "id"), "invalid_text"),
    ({"id": "a\x00b"}, (2, "id"), "invalid_text"),
    ({"id": 1.5}, (2, "id"), "wrong_type"),
    ({"valid_until": "2027-01-01garbage"}, (2, "valid_until"), "invalid_date"),
], ids=["lone-surrogate", "nul-in-id", "float-id", "date-with-tail"])
def test_ids_and_dates_that_cannot_be_stored_are_refused(tmp_path, change, loc, type_):
    path = tmp_path / "c.jsonl"  # JSON escapes (\ud800) carry what UTF-8 text could not
    path.write_text(json.dumps(GOOD) + "\n" + json.dumps({**GOOD, "id": "a2", **change}) + "\n", encoding="utf-8")
    offers, problems = read_catalog(path)
    assert [o.id for o in offers] == ["a1"] and [(p.loc, p.type) for p in problems] == [(loc, type_)]


def test_an_iso_datetime_is_read_as_its_date(tmp_path):
    offers, problems = read_catalog(write_jsonl(tmp_path, [{**GOOD, "valid_until": "2027-01-31T23:59:00"}]))
    assert problems == [] and offers[0].valid_until.isoformat() == "2027-01-31"


def catalog_csv(tmp_path, text, name="c.csv"):
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8"))
    return read_catalog(path)


HEADER = "id;title;description;provider;fields;offer_type;format;region;cost"
ROW = "c1;Titel;Text;Anbieter;praevention;fortbildung;online;NW;kostenfrei"


@pytest.mark.parametrize("text", [
    HEADER + "\r" + ROW + "\r",
    "\n\n" + HEADER + "\n" + ROW + "\n",
    HEADER + ";;\n" + ROW + ";;\n",
    HEADER + ";;\n" + ROW + "\n",
], ids=["mac-cr-line-ends", "blank-lines-above-header", "trailing-empty-columns", "trailing-columns-omitted"])
def test_csv_as_excel_writes_it_in_odd_moods(tmp_path, text):
    offers, problems = catalog_csv(tmp_path, text)
    assert problems == [] and [o.id for o in offers] == ["c1"]


def test_a_giant_csv_cell_is_reported_and_earlier_rows_kept(tmp_path):
    text = HEADER + "\n" + ROW + "\n" + ROW.replace("c1", "c2").replace("Text", "x" * 200_000) + "\n"
    offers, problems = catalog_csv(tmp_path, text)
    assert [o.id for o in offers] == ["c1"]
    assert [(p.loc, p.type) for p in problems] == [((3, "description"), "too_long")]


def test_score_skips_a_profile_whose_id_cannot_be_written(tmp_path, tiny_model_dir):
    src = tmp_path / "p.jsonl"
    src.write_text('{"id": "sur\\ud800", "needs": "Beteiligung"}\n{"id": "ok", "needs": "Beteiligung"}\n',
                   encoding="utf-8")
    proc = run_cli("score", src, "--model", tiny_model_dir, "--out", tmp_path / "o.jsonl", "--engine", "local",
                   check_rc=1)
    assert "line 1: id:" in proc.stderr and "Traceback" not in proc.stderr
    assert [json.loads(x)["profile_id"] for x in (tmp_path / "o.jsonl").read_text().splitlines()] == ["ok"]


def test_an_output_path_that_cannot_be_written_is_a_usage_error(tmp_path, tiny_model_dir):
    src = tmp_path / "p.jsonl"
    src.write_text('{"needs": "Beteiligung"}\n', encoding="utf-8")
    proc = run_cli("score", src, "--model", tiny_model_dir, "--out", tmp_path, check_rc=2)
    assert "out: cannot write" in proc.stderr and "Traceback" not in proc.stderr


def test_training_on_texts_without_words_says_so(tmp_path):
    path = write_jsonl(tmp_path, [{**GOOD, "title": "und die", "description": "der"}])
    proc = run_cli("train", "--catalog", path, "--model", tmp_path / "m", check_rc=1)
    assert "hold no words to learn from" in proc.stderr and "Traceback" not in proc.stderr


def test_negative_retention_is_refused(tiny_model_dir):
    proc = run_cli("serve", "--model", tiny_model_dir, "--retention-days", "-1", check_rc=2)
    assert "--retention-days" in proc.stderr


def test_coverage_csv_keeps_numbers_as_numbers(tmp_path, tiny_model_dir):
    src = tmp_path / "p.jsonl"
    src.write_text("".join(json.dumps({"role": "politik", "fields": ["klima"], "needs": "Klima"}) + "\n"
                           for _ in range(6)), encoding="utf-8")
    run_cli("coverage", "--model", tiny_model_dir, "--profiles", src, "--out", tmp_path / "c.csv", check_rc=0)
    rows = list(csv.DictReader(io.StringIO((tmp_path / "c.csv").read_text(encoding="utf-8-sig")), delimiter=";"))
    assert any(float(r["gap"]) < 0 for r in rows) and not any(r["gap"].startswith("'") for r in rows)


def test_an_unreadable_demand_db_is_a_clear_error(tmp_path, tiny_model_dir):
    proc = run_cli("coverage", "--model", tiny_model_dir, "--demand-db", "notaurl", "--out", tmp_path / "c.json",
                   check_rc=2)
    assert "demand_db: cannot read the demand log 'notaurl'" in proc.stderr and "Traceback" not in proc.stderr


def test_a_demand_db_without_its_driver_never_stops_a_recommendation(tiny_model):
    app = create_app(model=tiny_model, settings=Settings(model_dir=None, demand_db="mysql://u@127.0.0.1:1/db"))
    with TestClient(app) as client:
        assert client.post("/recommendations", json={"profile": {"needs": "Beteiligung"}}).status_code == 200
        assert client.get("/coverage").status_code == 200


def test_duplicate_member_ids_are_refused(tiny_model, tmp_path, tiny_model_dir):
    members = [{"id": "a", "needs": "Beteiligung"}, {"id": "a", "needs": "Klima"}]
    with TestClient(create_app(model=tiny_model, settings=Settings(model_dir=None))) as client:
        response = client.post("/recommendations/group", json={"members": members})
        assert response.status_code == 422
        assert response.json()["detail"][0]["loc"] == ["body", "members", 1, "id"]
        given = [{"id": "mitglied-2", "needs": "Beteiligung"}, {"needs": "Klima"}]
        ids = [m["member_id"] for m in client.post("/recommendations/group", json={"members": given}).json()["members"]]
        assert len(set(ids)) == 2
    src = tmp_path / "t.jsonl"
    src.write_text(json.dumps({"id": "t", "members": members}) + "\n", encoding="utf-8")
    proc = run_cli("group", src, "--model", tiny_model_dir, "--out", tmp_path / "o.jsonl", check_rc=1)
    assert "line 1: members[1].id: member id 'a' is given twice" in proc.stderr


def test_team_reasons_never_claim_roles_they_do_not_know(tiny_model):
    from matcher.ranking import render
    from matcher.teams import recommend_group
    from matcher.core import parse_profile
    members = [parse_profile({"needs": "Beteiligung Jugendliche"}), parse_profile({"role": "politik",
                                                                                    "needs": "Beteiligung"})]
    for rec in recommend_group(tiny_model, members, 10).recommendations:
        texts = [render(r) for r in rec.reasons]
        assert not any(t.startswith("richtet sich an alle Rollen im Team") for t in texts)
        assert ("für alle Rollen im Team geöffnet" in texts) == rec.offer.is_open_to_all()


def test_a_content_length_that_is_not_a_number_is_400(tiny_model):
    with TestClient(create_app(model=tiny_model, settings=Settings(model_dir=None))) as client:
        response = client.post("/recommendations", content=b"{}", headers={"content-length": "abc",
                                                                         "content-type": "application/json"})
        assert response.status_code == 400


PATH_LIKE_IDS = ["../../entkommen", "a/b/c", "..\\..\\fenster", "/etc/passwd", "C:\\temp\\x", "%2e%2e%2fx", "~root"]


def test_ids_with_path_characters_never_reach_the_file_system(tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    lines = TINY_CATALOG.read_text(encoding="utf-8").splitlines()
    offers = [json.loads(line) for line in lines[:len(PATH_LIKE_IDS)]]
    for offer, odd in zip(offers, PATH_LIKE_IDS):
        offer["id"], offer["provider"] = odd, odd
    catalog = work / "catalog.jsonl"
    catalog.write_text("".join(json.dumps(o, ensure_ascii=False) + "\n" for o in offers), encoding="utf-8")
    profiles = work / "profiles.jsonl"
    profiles.write_text("".join(json.dumps({"id": odd, "needs": "Jugendbeteiligung"}) + "\n" for odd in PATH_LIKE_IDS),
                        encoding="utf-8")
    run_cli("train", "--catalog", catalog, "--model", work / "m", check_rc=0, cwd=work)
    for out in ("scored.jsonl", "scored.csv"):
        run_cli("score", profiles, "--model", work / "m", "--out", work / out, check_rc=0, cwd=work)
    run_cli("coverage", "--model", work / "m", "--profiles", profiles, "--out", work / "gaps.html", check_rc=0, cwd=work)
    run_cli("portfolio", "--model", work / "m", "--provider", "../../entkommen", "--out", work / "p.html",
            check_rc=0, cwd=work)
    scored = [json.loads(line) for line in (work / "scored.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [s["profile_id"] for s in scored] == PATH_LIKE_IDS  # the ids came through as data
    outputs = {"catalog.jsonl", "profiles.jsonl", "m", "scored.jsonl", "scored.csv", "gaps.html", "p.html"}
    written = {p.name for p in work.iterdir() if not p.name.startswith(".m.v-")}  # .m.v-*: the model's versions
    assert written == outputs and [p.name for p in tmp_path.iterdir()] == ["work"]
    names = {p.name for p in tmp_path.rglob("*")}
    assert not names & {"entkommen", "passwd", "fenster", "x", "c"}  # no id became a file or folder name
