"""Real providers' lists are incomplete: an offer that does not say its format or cost trains whole, is shown
as "k. A.", and is never treated as a mismatch with a format preference (issue 25)."""
import json

import numpy as np
from fastapi.testclient import TestClient
from openpyxl import Workbook, load_workbook

from matcher import fit_model, read_catalog
from matcher.core import label
from matcher.ranking import format_fit

from conftest import run_cli

BASE = {"title": "Jugendbeteiligung in der Planung", "description": "Wie Verwaltung Jugendliche beteiligt.",
        "provider": "Servicestelle", "target_roles": ["planung"], "fields": ["beteiligung"],
        "offer_type": "fortbildung", "region": "bund"}


def write_jsonl(path, records):
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


def test_jsonl_offers_without_format_or_cost_are_kept(tmp_path):
    path = write_jsonl(tmp_path / "c.jsonl", [
        {**BASE, "id": "a1"},                                        # both keys absent
        {**BASE, "id": "a2", "format": None, "cost": None},          # both null
        {**BASE, "id": "a3", "format": "", "cost": " "},             # both blank
        {**BASE, "id": "a4", "format": "online", "cost": "kostenfrei"},
    ])
    offers, problems = read_catalog(path)
    assert problems == []
    assert [(o.id, o.format, o.cost) for o in offers] == [
        ("a1", None, None), ("a2", None, None), ("a3", None, None), ("a4", "online", "kostenfrei")]
    assert offers[0].to_dict()["format"] is None and offers[0].to_dict()["cost"] is None
    proc = run_cli("validate", path, check_rc=0)
    assert "4 valid records" in proc.stdout


def test_a_wrong_format_code_is_still_refused(tmp_path):
    offers, problems = read_catalog(write_jsonl(tmp_path / "c.jsonl", [{**BASE, "id": "a1", "format": "Webinar"}]))
    assert offers == [] and [(p.loc, p.type) for p in problems] == [((1, "format"), "unknown_code")]


def test_csv_without_format_and_cost_columns_trains_whole(tmp_path):
    path = tmp_path / "c.csv"
    path.write_text("id;title;description;provider;target_roles;fields;offer_type;region\n"
                    "b1;Beteiligung planen;Für die Verwaltung.;Servicestelle;planung;beteiligung;fortbildung;bund\n"
                    "b2;Prävention vor Ort;Für Fachkräfte.;Landesstelle;fachkraft;praevention;beratung;NW\n",
                    encoding="utf-8-sig")
    run_cli("train", "--catalog", path, "--model", tmp_path / "m", check_rc=0)
    out = run_cli("recommend", "--model", tmp_path / "m", "--needs", "Jugendliche beteiligen", "--json",
                  "--format-preference", "online", "--no-semantic", check_rc=0)
    assert {r["offer_id"] for r in json.loads(out.stdout)["recommendations"]} == {"b1", "b2"}


def test_csv_with_empty_and_k_a_cells_reads_as_not_given(tmp_path):
    path = tmp_path / "c.csv"
    path.write_text("Nr.;Titel;Beschreibung;Anbieter;Handlungsfelder;Angebotsart;Format;Bundesland;Kosten\n"
                    "1;Beteiligung planen;Text.;Servicestelle;Beteiligung;Fortbildung;;bundesweit;k. A.\n"
                    "2;Prävention;Text.;Landesstelle;Prävention;Beratung;k.A.;NRW;\n", encoding="utf-8")
    offers, problems = read_catalog(path)
    assert problems == []
    assert [(o.format, o.cost, o.region) for o in offers] == [(None, None, "bund"), (None, None, "NW")]


def test_excel_rows_without_format_or_cost_and_the_template_offer_k_a(tmp_path):
    path = tmp_path / "angebote.xlsx"
    run_cli("template", "--out", path, check_rc=0)
    wb = load_workbook(path)
    ws, lists = wb["Angebote"], wb["Listen"]
    headers = [c.value for c in ws[1]]
    for header in ("Format", "Kosten"):
        column = [c.value for c in lists[chr(ord("A") + headers.index(header))] if c.value]
        assert column[-1] == "k. A."  # the dropdown's last choice
    hints = {row[0].value: row[1].value for row in wb["Hinweise"].iter_rows(min_row=2)}
    assert "Pflichtfeld" not in hints["Format"] and "Pflichtfeld" not in hints["Kosten"]

    book = Workbook()
    sheet = book.active
    sheet.append(["ID", "Titel", "Beschreibung", "Anbieter", "Handlungsfelder", "Angebotsart", "Format",
                  "Bundesland", "Kosten"])
    sheet.append(["x1", "Beteiligung planen", "Text.", "Servicestelle", "Beteiligung", "Fortbildung", "k. A.",
                  "bundesweit", None])
    sheet.append(["x2", "Prävention", "Text.", "Landesstelle", "Prävention", "Beratung", None, "Bayern",
                  "kostenlos"])
    book.save(tmp_path / "own.xlsx")
    offers, problems = read_catalog(tmp_path / "own.xlsx")
    assert problems == []
    assert [(o.id, o.format, o.cost) for o in offers] == [("x1", None, None), ("x2", None, "kostenfrei")]


def test_an_unknown_format_is_neither_a_match_nor_a_mismatch():
    formats = np.array(["online", "praesenz", "hybrid", ""], dtype="U8")
    # online wanted: the match 1, the other format 0, hybrid half-way, unknown half-way (it may well be online)
    assert format_fit(formats, "online").tolist() == [1.0, 0.0, 0.5, 0.5]
    assert format_fit(formats, None).tolist() == [0.0, 0.0, 0.0, 0.0]


def test_unknown_facts_are_shown_as_k_a_and_never_given_as_a_reason(tmp_path):
    path = write_jsonl(tmp_path / "c.jsonl", [{**BASE, "id": "a1"},
                                              {**BASE, "id": "a2", "title": "Beteiligung online lernen",
                                               "format": "online", "cost": "kostenfrei"}])
    offers, _ = read_catalog(path)
    model = fit_model(offers, encoder=None)
    assert label("formats", None) == "k. A." and label("costs", None) == "k. A."

    from service.main import create_app
    from service.settings import Settings
    with TestClient(create_app(model=model, settings=Settings(model_dir=None))) as client:
        offer = client.get("/offers/a1").json()
        answer = client.post("/recommendations", json={"profile": {
            "role": "planung", "needs": "Jugendliche an der Planung beteiligen", "format_preference": "online"},
            "top_k": 2}).json()
        page = client.get("/", params={"bedarf": "Jugendliche an der Planung beteiligen", "format": "online"}).text
    assert offer["format"] is None and offer["cost"] is None
    reasons = {r["offer_id"]: " ".join(r["reasons"]) for r in answer["recommendations"]}
    assert "Format" not in reasons["a1"] and "kostenfrei" not in reasons["a1"]
    assert "k. A." in page
