"""The JSON API through a real HTTP client (httpx, in process) against the app."""
import json

import pytest
from fastapi.testclient import TestClient

from matcher import limits
from matcher.teams import DEFAULT_AGGREGATION
from service.lifespan import reload_if_changed
from service.main import create_app
from service.settings import Settings

GOOD = {"profile": {"role_title": "Jugendhilfeplanerin", "needs": "Jugendliche an der Planung beteiligen",
                    "region": "NW"}, "top_k": 3}


@pytest.fixture(scope="module")
def client(tiny_model):
    with TestClient(create_app(model=tiny_model, settings=Settings(model_dir=None)),
                    raise_server_exceptions=False) as c:
        yield c


def test_health_and_ready(client):
    assert client.get("/health").json() == {"status": "ok"}
    assert client.get("/ready").json()["status"] == "ready"


def test_ready_is_503_until_a_model_is_loaded(tmp_path):
    app = create_app(settings=Settings(model_dir=str(tmp_path / "missing")))
    with TestClient(app) as c:
        import time
        for _ in range(50):
            r = c.get("/ready")
            if r.json()["status"] != "loading":
                break
            time.sleep(0.05)
        assert r.status_code == 503 and r.json()["status"] == "failed"
        assert "does not exist" in r.json()["error"]
        assert c.get("/health").status_code == 200
        assert c.post("/recommendations", json=GOOD).status_code == 503


def test_recommendations_say_how_the_person_was_read_and_why(client):
    body = client.post("/recommendations", json=GOOD).json()
    assert body["interpreted"]["role"] == "planung" and body["interpreted"]["role_source"] == "title"
    assert body["interpreted"]["roles"] == ["planung"]
    first = body["recommendations"][0]
    assert first["offer_id"] == "t01" and first["rank"] == 1
    assert {"title", "provider", "offer_type", "format", "region", "cost", "url", "valid_until"} <= set(first)
    assert 2 <= len(first["reasons"]) <= 4
    assert "richtet sich ausdrücklich an Planungskräfte in der Verwaltung" in first["reasons"]
    assert len(body["recommendations"]) == 3


def test_the_same_request_twice_gives_the_same_answer_from_the_cache(client):
    first = client.post("/recommendations", json=GOOD).json()
    hits = client.app.state.recommender.hits
    assert client.post("/recommendations", json=GOOD).json() == first
    assert client.app.state.recommender.hits == hits + 1


def err(response):
    return [(tuple(d["loc"]), d["type"]) for d in response.json()["detail"]]


@pytest.mark.parametrize("body, loc, type_", [
    ({**GOOD, "top_k": 0}, ("body", "top_k"), "greater_than_equal"),
    ({**GOOD, "top_k": -5}, ("body", "top_k"), "greater_than_equal"),
    ({**GOOD, "top_k": 10**9}, ("body", "top_k"), "less_than_equal"),
    ({**GOOD, "top_k": "viele"}, ("body", "top_k"), "int_parsing"),
    ({**GOOD, "top_k": True}, ("body", "top_k"), "int_type"),
    ({**GOOD, "top_k": 2.5}, ("body", "top_k"), "int_from_float"),
    ({"profile": {**GOOD["profile"], "region": "XX"}}, ("body", "profile", "region"), "unknown_code"),
    ({"profile": {**GOOD["profile"], "fields": ["sport"]}}, ("body", "profile", "fields", 0), "unknown_code"),
    ({"profile": {**GOOD["profile"], "role": "chef"}}, ("body", "profile", "role"), "unknown_code"),
    ({"profile": {**GOOD["profile"], "format_preference": "vor Ort"}}, ("body", "profile", "format_preference"),
     "unknown_code"),
    ({"profile": {**GOOD["profile"], "needs": ""}}, ("body", "profile", "needs"), "string_too_short"),
    ({"profile": {**GOOD["profile"], "needs": "   "}}, ("body", "profile", "needs"), "string_too_short"),
    ({"profile": {**GOOD["profile"], "needs": "x" * (limits.MAX_NEEDS_CHARS + 1)}}, ("body", "profile", "needs"),
     "string_too_long"),
    ({"profile": {**GOOD["profile"], "needs": " " + "x" * limits.MAX_NEEDS_CHARS}}, ("body", "profile", "needs"),
     "string_too_long"),  # the schema's maxLength counts the text as sent (a fuzzer found it counted stripped)
    ({"profile": {**GOOD["profile"], "role_title": "x" * 500}}, ("body", "profile", "role_title"),
     "string_too_long"),
    ({"profile": {**GOOD["profile"], "fields": ["beteiligung"] * 11}}, ("body", "profile", "fields"), "too_long"),
    ({"profile": {**GOOD["profile"], "needs": 42}}, ("body", "profile", "needs"), "string_type"),
    ({"profile": {**GOOD["profile"], "bundesland": "NW"}}, ("body", "profile", "bundesland"), "extra_forbidden"),
    ({"top_k": 3}, ("body", "profile"), "missing"),
    ({"profile": "Jugendhilfeplanerin"}, ("body", "profile"), "model_attributes_type"),
], ids=["top_k-0", "top_k-negative", "top_k-giant", "top_k-text", "top_k-bool", "top_k-float", "unknown-region",
        "unknown-field", "unknown-role", "unknown-format", "empty-needs", "blank-needs", "huge-needs", "huge-needs-padded",
        "huge-title",
        "too-many-fields", "needs-number", "unknown-key", "no-profile", "profile-string"])
def test_invalid_input_is_422_with_the_path_of_the_field(client, body, loc, type_):
    response = client.post("/recommendations", json=body)
    assert response.status_code == 422
    assert err(response) == [(loc, type_)]


def test_unknown_region_lists_the_valid_codes_and_suggests_one(client):
    response = client.post("/recommendations", json={"profile": {**GOOD["profile"], "region": "NRW"}})
    msg = response.json()["detail"][0]["msg"]
    assert msg.startswith("unknown region code 'NRW'; did you mean 'NW'? expected one of: bund, BW, BY")


@pytest.mark.parametrize("raw", [b"{kaputt", b"", b"[]", b"null", b'"text"', "{\"profile\": {\"needs\": \"\u00e4\"".encode()],
                         ids=["broken", "empty", "array", "null", "string", "truncated"])
def test_bodies_that_are_not_the_right_json_are_422(client, raw):
    response = client.post("/recommendations", content=raw, headers={"content-type": "application/json"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][0] == "body"


def test_a_body_over_one_mebibyte_is_413_before_it_is_parsed(client):
    huge = json.dumps({"profile": {"needs": "x" * (limits.MAX_BODY_BYTES + 10)}})
    response = client.post("/recommendations", content=huge, headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert response.json()["detail"][0]["type"] == "too_large"


def test_a_streamed_body_over_the_limit_is_413_too(client):
    def chunks():
        for _ in range(20):
            yield b"x" * 100_000
    response = client.post("/recommendations", content=chunks(), headers={"content-type": "application/json"})
    assert response.status_code == 413


def test_offers_by_id_and_404_for_unknown_ids(client):
    assert client.get("/offers/t01").json()["title"] == "Beteiligung von Jugendlichen in der Jugendhilfeplanung verankern"
    response = client.get("/offers/nope")
    assert response.status_code == 404
    assert err(response) == [(("path", "offer_id"), "not_found")]
    assert client.get("/offers/" + "x" * 300).status_code == 422


def test_openapi_documents_the_limits_and_an_example_for_every_body(client):
    schema = client.get("/openapi.json").json()
    comps = schema["components"]["schemas"]
    assert comps["RecommendationsIn"]["properties"]["top_k"]["maximum"] == limits.MAX_TOP_K
    assert comps["ProfileIn"]["properties"]["needs"]["maxLength"] == limits.MAX_NEEDS_CHARS
    assert comps["ProfileIn"]["properties"]["fields"]["maxItems"] == limits.MAX_FIELDS
    assert comps["RecommendationsIn"]["examples"]
    for path in schema["paths"].values():
        for op in path.values():
            if "requestBody" in op:
                ref = op["requestBody"]["content"]["application/json"]["schema"]["$ref"].split("/")[-1]
                assert comps[ref].get("examples"), ref
    assert str(limits.MAX_BODY_BYTES) in schema["info"]["description"]
    assert client.get("/docs").status_code == 200


def test_every_limit_is_documented_in_the_readme():
    from conftest import ROOT
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for limit in limits.LIMITS:
        assert f"`{limit.name}`" in readme and str(limit.value) in readme, limit.name


def test_offer_text_is_escaped_on_the_page(tmp_path):
    from dataclasses import replace

    from matcher import fit_model, read_catalog
    from conftest import TINY_CATALOG
    offers, _ = read_catalog(TINY_CATALOG)
    offers[0] = replace(offers[0], title="<script>alert('x')</script> Jugendbeteiligung", provider="<b>Anbieter</b>")
    app = create_app(model=fit_model(offers, encoder=None), settings=Settings(model_dir=None))
    with TestClient(app) as c:
        html = c.get("/", params={"titel": "<img src=x onerror=alert(1)>", "bedarf": "Jugendbeteiligung"}).text
    assert "&lt;script&gt;alert(" in html and "<script>alert" not in html
    assert "&lt;b&gt;Anbieter&lt;/b&gt;" in html
    assert "<img src=x" not in html


def test_the_page_answers_bad_query_values_with_german_messages(client):
    response = client.get("/", params={"titel": "Ratsmitglied", "bedarf": "", "land": "XX", "feld": "sport"})
    assert response.status_code == 422
    assert "Bitte beschreiben Sie kurz, was Sie brauchen." in response.text
    assert "Bundesland: Dieser Wert ist unbekannt" in response.text
    huge = client.get("/", params={"bedarf": "x" * 20000})
    assert huge.status_code == 422


GROUP = {"id": "lindenau", "members": [
    {"id": "plan", "role": "planung", "needs": "Beteiligung von Jugendlichen planen", "region": "NW"},
    {"id": "rat", "role_title": "Ratsmitglied", "needs": "Jugendliche sollen mitreden", "region": "NW"},
    {"role_title": "Streetworker", "needs": "Methoden der Jugendbeteiligung"}], "top_k": 4}


def test_group_recommendations_show_team_reasons_and_the_members_served(client):
    body = client.post("/recommendations/group", json=GROUP).json()
    assert body["group_id"] == "lindenau" and body["aggregation"] == DEFAULT_AGGREGATION
    assert [m["member_id"] for m in body["members"]] == ["plan", "rat", "mitglied-3"]
    first = body["recommendations"][0]
    assert first["offer_id"] == "t07" and "für alle Rollen im Team geöffnet" in first["reasons"]
    assert {f["member_id"] for f in first["member_fit"]} == {"plan", "rat", "mitglied-3"}


@pytest.mark.parametrize("change, loc, type_", [
    ({"members": GROUP["members"][:1]}, ("body", "members"), "too_short"),
    ({"members": GROUP["members"] * 5}, ("body", "members"), "too_long"),
    ({"aggregation": "median"}, ("body", "aggregation"), "literal_error"),
    ({"top_k": 0}, ("body", "top_k"), "greater_than_equal"),
    ({"members": [GROUP["members"][0], {"needs": "x", "region": "XX"}]}, ("body", "members", 1, "region"),
     "unknown_code"),
], ids=["one-member", "thirteen-members", "unknown-aggregation", "top_k-0", "member-region"])
def test_group_input_errors_name_the_field(client, change, loc, type_):
    response = client.post("/recommendations/group", json={**GROUP, **change})
    assert response.status_code == 422
    assert err(response) == [(loc, type_)]


def test_a_running_service_swaps_in_a_retrained_model_its_files_read_ahead_first(tmp_path, monkeypatch):
    import os

    import service.lifespan
    from matcher import fit_model, read_catalog, save
    from matcher.model import read_ahead
    from conftest import TINY_CATALOG, TINY_OFFERS, wait_until_ready
    read = []  # the version each read-ahead met, and whether it read
    monkeypatch.setattr(service.lifespan, "read_ahead", lambda d: read.append((os.path.realpath(d), read_ahead(d))))
    offers, _ = read_catalog(TINY_CATALOG)
    model_dir = tmp_path / "m"
    save(fit_model(offers[:5], encoder=None), model_dir)
    first = os.path.realpath(model_dir)
    settings = Settings(model_dir=str(model_dir), reload_seconds=0)
    app = create_app(settings=settings)
    with TestClient(app) as c:
        wait_until_ready(c)
        assert c.get("/ready").json()["offers"] == 5
        assert not reload_if_changed(app)
        save(fit_model(offers, encoder=None), model_dir)
        assert reload_if_changed(app)
        assert c.get("/ready").json()["offers"] == TINY_OFFERS
        assert read == [(first, True), (os.path.realpath(model_dir), True)]
        assert c.get("/offers/t14").status_code == 200


def test_a_title_that_holds_two_roles_is_read_as_both_with_the_primary_first(client):
    body = client.post("/recommendations", json={"profile": {"role_title": "Landrätin", "needs": "Kinder beteiligen"},
                                                 "top_k": 3}).json()
    assert body["interpreted"]["role"] == "leitung" and body["interpreted"]["roles"] == ["leitung", "politik"]


def test_the_service_in_the_fast_mode_ranks_on_lexical_signals(tiny_model):
    from matcher import parse_profile, recommend
    app = create_app(model=tiny_model, settings=Settings(model_dir=None, semantic=False))
    with TestClient(app) as c:
        assert c.get("/ready").json()["semantic"] is False
        body = c.post("/recommendations", json=GOOD).json()
    expected = recommend(tiny_model.lexical(), parse_profile(GOOD["profile"]), GOOD["top_k"])
    assert [r["offer_id"] for r in body["recommendations"]] == [r.offer_id for r in expected.recommendations]
