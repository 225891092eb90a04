"""Saved searches: the store (new once, retention, deletion, tokens only as hashes), the API on SQLite and
PostgreSQL, the Atom feed, `matcher alerts` as a subprocess, and tokens kept out of every log.

"A new offer after a retrain" is built by construction: a search saved under the tiny catalog, then the model
swapped for one trained on the tiny catalog plus one offer written for that search (t99), as `matcher train`
swaps it; t99 must appear in the feed and in the digest exactly once.
"""
import hmac
import json
import logging
import os
import stat
import threading
import time
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from matcher import read_catalog
from matcher.alerts import SearchStore, load_key, token_hash
from matcher.core import Profile
from service.lifespan import refresh_searches, reload_if_changed
from service.main import create_app
from service.settings import Settings

from conftest import TINY_CATALOG, run_cli

ATOM = "{http://www.w3.org/2005/Atom}"
PROFILE = {"role_title": "Jugendhilfeplanerin", "needs": "Wie kriege ich Jugendliche in die Planung rein?",
           "region": "NW"}
NEW_OFFER = {"id": "t99", "title": "Werkstatt: Jugendliche an der kommunalen Jugendhilfeplanung beteiligen",
             "description": "Für Planungskräfte im Jugendamt: wie Jugendliche an der Planung beteiligt werden, mit "
                            "Beteiligungsformaten für die Jugendhilfeplanung.",
             "provider": "Institut für Partizipation und Planung", "target_roles": ["planung"],
             "fields": ["beteiligung", "kinder_jugend"], "offer_type": "fortbildung", "format": "online",
             "region": "NW", "cost": "kostenfrei", "url": "https://www.example.de/t99"}
NOW = datetime(2026, 12, 1, 9, 0)


# the store


@pytest.fixture(scope="module")
def offers():
    found, problems = read_catalog(TINY_CATALOG)
    assert not problems
    return {o.id: o for o in found}


@pytest.fixture
def store(tmp_path):
    return SearchStore(f"sqlite:///{tmp_path / 'searches.sqlite'}", tmp_path / "searches.key", retention_days=30)


def test_an_offer_is_new_once_per_search_and_never_the_baseline(store, offers):
    search = store.save(Profile(needs="Beteiligung"), 2, [offers["t01"], offers["t02"]], "m1", NOW)
    assert store.record(search.id, [offers["t01"], offers["t03"]], "m2", NOW + timedelta(hours=1)) == 1
    assert store.record(search.id, [offers["t03"], offers["t04"]], "m3", NOW + timedelta(hours=2)) == 1
    assert store.record(search.id, [offers["t03"], offers["t04"]], "m3", NOW + timedelta(hours=3)) == 0
    assert [n.offer_id for n in store.notices(search.id)] == ["t04", "t03"]  # newest first, t01/t02 seen
    assert [n.model for n in store.notices(search.id)] == ["m3", "m2"]
    assert len(store.notices(search.id, new_only=False)) == 4
    other = store.save(Profile(needs="Prävention"), 2, [offers["t03"]], "m1", NOW)
    assert store.record(other.id, [offers["t01"]], "m2", NOW) == 1  # per search: t01 is new for this one


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_workers_computing_the_same_retrain_at_once_store_each_offer_once(backend, tmp_path, offers):
    url = searches_db(backend, tmp_path)
    search = SearchStore(url, tmp_path / "k").save(Profile(needs="Beteiligung"), 3, [offers["t01"]], "m1")
    workers, added = [SearchStore(url, tmp_path / "k") for _ in range(4)], []
    threads = [threading.Thread(target=lambda w=w: added.append(w.record(search.id, [offers[i] for i in (
        "t01", "t02", "t03", "t04")], "m2"))) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(added) == [0, 0, 0, 3]
    assert sorted(n.offer_id for n in workers[0].notices(search.id)) == ["t02", "t03", "t04"]


def test_searches_past_their_retention_are_gone_and_purged(store, offers):
    search = store.save(Profile(needs="Beteiligung"), 2, [offers["t01"]], "m1", NOW)
    assert search.expires == NOW + timedelta(days=30)
    assert store.find(search.token, NOW + timedelta(days=29)) is not None
    assert store.find(search.token, NOW + timedelta(days=30)) is None  # expired: as if unknown, before any purge
    assert store.purge(NOW + timedelta(days=29)) == 0
    assert store.purge(NOW + timedelta(days=31)) == 1
    assert store.notices(search.id, new_only=False) == []


def test_deleting_removes_the_search_and_its_notices_at_once(store, offers):
    search = store.save(Profile(needs="Beteiligung"), 2, [offers["t01"]], "m1")
    store.record(search.id, [offers["t02"]], "m2")
    assert store.delete(search.token) is True
    assert store.find(search.token) is None and store.notices(search.id, new_only=False) == []
    assert store.delete(search.token) is False


def test_the_database_holds_only_a_hash_of_the_token_compared_in_constant_time(store, tmp_path, offers, monkeypatch):
    search = store.save(Profile(needs="Skatepark Lindenstraße"), 2, [offers["t01"]], "m1")
    assert len(search.token) == 43  # 256 bits, URL-safe
    raw = (tmp_path / "searches.sqlite").read_bytes()
    assert search.token.encode() not in raw and token_hash(search.token).encode() in raw
    compared = []
    monkeypatch.setattr(hmac, "compare_digest", lambda a, b: compared.append((a, b)) or a == b)
    assert store.find(search.token).id == search.id and compared


@pytest.mark.parametrize("token", ["", "x", "A" * 43, "A" * 10_000, "ä/ö", "\ud800"],
                         ids=["empty", "short", "same-shape", "huge", "non-ascii", "surrogate"])
def test_garbage_tokens_find_nothing(store, offers, token):
    store.save(Profile(needs="Beteiligung"), 2, [offers["t01"]], "m1")
    assert store.find(token) is None and store.delete(token) is False


def test_a_changed_token_finds_nothing(store, offers):
    token = store.save(Profile(needs="Beteiligung"), 2, [offers["t01"]], "m1").token
    assert store.find(token[:-1] + ("A" if token[-1] != "A" else "B")) is None


def test_the_key_is_made_once_for_its_owner_and_links_survive_another_key(store, tmp_path, offers):
    token = store.save(Profile(needs="Beteiligung"), 2, [offers["t01"]], "m1").token
    key_file = tmp_path / "searches.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600 and load_key(key_file) == load_key(key_file)
    assert store.active()[0].token == token  # the key rebuilds the link, for the digest
    other = SearchStore(store.url, tmp_path / "other.key")
    assert other.active()[0].token is None  # another key cannot...
    assert other.find(token) is not None  # ...but the link itself still opens the search


def test_no_database_is_made_before_a_search_is_saved(tmp_path):
    store = SearchStore(f"sqlite:///{tmp_path / 'searches.sqlite'}", tmp_path / "searches.key")
    assert not store.exists() and not list(tmp_path.iterdir())


def test_the_feed_and_the_digest_escape_what_an_offer_says(store, offers):
    from dataclasses import replace

    from matcher.alerts import atom_feed, render_digest
    hostile = replace(offers["t02"], id="t 2/x", title="<script>alert(1)</script> & \x07Ärger")
    search = store.save(Profile(needs="<b>Beteiligung</b>"), 2, [offers["t01"]], "m1", NOW)
    store.record(search.id, [hostile], "m2", NOW)
    feed = ET.fromstring(atom_feed(search, store.notices(search.id), "https://a.example/", "https://a.example/f"))
    entry = feed.find(f"{ATOM}entry")
    assert entry.find(f"{ATOM}title").text == "<script>alert(1)</script> & Ärger"  # the bell: not XML, dropped
    assert entry.find(f"{ATOM}link").get("href") == "https://a.example/offers/t%202%2Fx"
    digest = render_digest(search, store.notices(search.id), "https://a.example")
    assert "<script>" not in digest.html and "&lt;script&gt;" in digest.html and "&lt;b&gt;" in digest.html
    assert digest.subject == "Ein neues passendes Angebot für Ihre gespeicherte Suche"


# the service and the CLI


@pytest.fixture(scope="module")
def plus_model_dir(tmp_path_factory):
    """The tiny catalog plus t99, trained as `matcher train` does."""
    folder = tmp_path_factory.mktemp("plus")
    catalog = folder / "catalog.jsonl"
    catalog.write_text(TINY_CATALOG.read_text(encoding="utf-8") + json.dumps(NEW_OFFER, ensure_ascii=False) + "\n",
                       encoding="utf-8")
    run_cli("train", "--catalog", catalog, "--model", folder / "model", check_rc=0)
    return folder / "model"


def swap(link: Path, target: Path) -> None:
    """Point `link` at another model in one rename, as `matcher train` does."""
    tmp = link.with_name(link.name + ".new")
    os.symlink(os.path.realpath(target), tmp)
    os.replace(tmp, link)


@pytest.fixture
def served(tmp_path, tiny_model_dir):
    link = tmp_path / "models" / "served"
    link.parent.mkdir()
    os.symlink(os.path.realpath(tiny_model_dir), link)
    return link


def searches_db(backend: str, tmp_path: Path) -> str:
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'searches.sqlite'}"
    from sqlalchemy import create_engine

    from matcher.alerts import metadata
    from postgres import postgres_url
    url = postgres_url()
    metadata.drop_all(create_engine(url))  # clean tables for this run
    return url


def app_for(served: Path, db: str | None, key_file: Path | None):
    settings = Settings(model_dir=str(served), searches_db=db, searches_key_file=str(key_file) if key_file else None,
                        reload_seconds=0)
    return create_app(settings=settings)


def loaded(client):
    from conftest import wait_until_ready
    wait_until_ready(client)
    state = client.app.state
    if state.refreshing is not None:
        state.refreshing.join(60)
    return client.app


def feed_entries(client, token: str) -> list[dict]:
    answer = client.get(f"/searches/{token}/feed")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("application/atom+xml")
    assert answer.headers["cache-control"] == "no-store"
    root = ET.fromstring(answer.content)
    assert root.tag == f"{ATOM}feed" and root.find(f"{ATOM}updated") is not None
    return [{"title": e.find(f"{ATOM}title").text, "link": e.find(f"{ATOM}link[@rel='alternate']").get("href"),
             "updated": e.find(f"{ATOM}updated").text, "id": e.find(f"{ATOM}id").text}
            for e in root.findall(f"{ATOM}entry")]


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_saved_search_hears_of_a_new_offer_once_after_a_retrain(backend, served, plus_model_dir, tmp_path):
    db, key_file = searches_db(backend, tmp_path), tmp_path / "searches.key"
    with TestClient(app_for(served, db, key_file)) as client:
        app = loaded(client)
        saved = client.post("/searches", json={"profile": PROFILE, "top_k": 3, "consent": True})
        assert saved.status_code == 201, saved.text
        body = saved.json()
        token = body["token"]
        assert body["url"] == f"http://testserver/suche/{token}"
        assert body["feed_url"] == f"http://testserver/searches/{token}/feed"
        assert saved.headers["location"] == f"http://testserver/searches/{token}"
        assert body["expires"].endswith("Z")
        assert feed_entries(client, token) == []  # what the person saw when saving is not new

        swap(served, plus_model_dir)
        assert reload_if_changed(app)
        app.state.refreshing.join(60)
        entries = feed_entries(client, token)
        assert [(e["title"], e["link"]) for e in entries] == [(NEW_OFFER["title"], "http://testserver/offers/t99")]
        assert token not in entries[0]["id"]
        read = client.get(f"/searches/{token}").json()
        assert [n["offer_id"] for n in read["notices"]] == ["t99"]
        assert read["profile"]["needs"] == PROFILE["needs"] and read["top_k"] == 3

        refresh_searches(app.state.searches, app.state.recommender.model)  # the same model again, as a second worker would compute it
        assert len(feed_entries(client, token)) == 1

        out = tmp_path / "digests"
        done = run_cli("alerts", "--model", plus_model_dir, "--db", db, "--key-file", key_file, "--out", out,
                       check_rc=0)
        assert token not in done.stdout + done.stderr
        assert "1 digests (1 offers)" in done.stdout
        text = next(out.glob("*.txt")).read_text(encoding="utf-8")
        assert text.count(NEW_OFFER["title"]) == 1 and f"/suche/{token}" in text and "Guten Tag" in text
        html = next(out.glob("*.html")).read_text(encoding="utf-8")
        assert html.count(NEW_OFFER["title"]) == 1 and '<html lang="de">' in html
        assert stat.S_IMODE(next(out.glob("*.txt")).stat().st_mode) == 0o600  # it holds a private link
        again = run_cli("alerts", "--model", plus_model_dir, "--db", db, "--key-file", key_file, "--out",
                        tmp_path / "next", check_rc=0)
        assert "0 new offers noticed; 0 digests" in again.stdout and not list((tmp_path / "next").iterdir())

        assert client.delete(f"/searches/{token}").status_code == 204
        for method, path in (("GET", f"/searches/{token}"), ("GET", f"/searches/{token}/feed"),
                             ("DELETE", f"/searches/{token}")):
            assert client.request(method, path).status_code == 404


def test_matcher_alerts_finds_the_new_offers_itself_beside_the_model(served, plus_model_dir, tmp_path):
    # the service's defaults: database and key beside the model; `matcher alerts` finds them by the same rule
    with TestClient(create_app(settings=Settings(model_dir=str(served), reload_seconds=0))) as client:
        loaded(client)
        token = client.post("/searches", json={"profile": PROFILE, "top_k": 3, "consent": True}).json()["token"]
    assert (served.parent / "searches.sqlite").exists() and (served.parent / "searches.key").exists()
    swap(served, plus_model_dir)
    done = run_cli("alerts", "--model", served, "--out", tmp_path / "out", "--base-url", "https://angebote.example",
                   check_rc=0)
    assert done.stdout.startswith("1 of 1 saved searches computed for this model, 1 new offers noticed; 1 digests")
    text = next((tmp_path / "out").glob("*.txt")).read_text(encoding="utf-8")
    assert f"https://angebote.example/suche/{token}" in text and NEW_OFFER["title"] in text


@pytest.fixture(scope="module")
def client(tiny_model, tmp_path_factory):
    folder = tmp_path_factory.mktemp("searches")
    settings = Settings(model_dir=None, searches_db=f"sqlite:///{folder / 's.sqlite'}",
                        searches_key_file=str(folder / "s.key"))
    with TestClient(create_app(model=tiny_model, settings=settings), raise_server_exceptions=False) as c:
        yield c


@pytest.mark.parametrize("body, loc, type_", [
    ({"profile": PROFILE, "top_k": 3}, ["body", "consent"], "missing"),
    ({"profile": PROFILE, "consent": False}, ["body", "consent"], "literal_error"),
    ({"profile": PROFILE, "consent": "yes"}, ["body", "consent"], "literal_error"),
    ({"profile": PROFILE, "consent": True, "top_k": 0}, ["body", "top_k"], "greater_than_equal"),
    ({"profile": PROFILE, "consent": True, "top_k": 51}, ["body", "top_k"], "less_than_equal"),
    ({"profile": {**PROFILE, "region": "NRW"}, "consent": True}, ["body", "profile", "region"], "unknown_code"),
    ({"profile": {**PROFILE, "needs": ""}, "consent": True}, ["body", "profile", "needs"], "string_too_short"),
    ({"profile": PROFILE, "consent": True, "email": "a@b.de"}, ["body", "email"], "extra_forbidden"),
], ids=["no-consent", "consent-false", "consent-string", "top-k-0", "top-k-51", "bad-region", "empty-needs",
        "extra-field"])
def test_a_search_is_saved_only_on_consent_and_valid_input(client, body, loc, type_):
    answer = client.post("/searches", json=body)
    assert answer.status_code == 422
    assert [(e["loc"], e["type"]) for e in answer.json()["detail"]] == [(loc, type_)]


@pytest.mark.parametrize("mode", ["positive", "negative"])
def test_the_search_operations_answer_as_documented(client, mode):
    import schemathesis
    from hypothesis import HealthCheck, given, settings
    from hypothesis.errors import Unsatisfiable
    from schemathesis import GenerationMode
    from test_schemathesis import CHECKS
    schema = schemathesis.openapi.from_asgi("/openapi.json", client.app)
    operations = [r.ok() for r in schema.get_all_operations() if r.ok().path.startswith("/searches")]
    assert len(operations) == 4
    tried = 0
    for operation in operations:
        @given(case=operation.as_strategy(generation_mode=GenerationMode(mode)))
        @settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def run(case):
            case.call_and_validate(checks=CHECKS)
        try:
            run()
            tried += 1
        except Unsatisfiable:  # any text is a token as far as the schema knows: no invalid path to send
            assert mode == "negative"
    assert tried == (4 if mode == "positive" else 1)


def test_a_huge_body_is_413_as_everywhere(client):
    answer = client.post("/searches", content=b"{" + b" " * (2 * 1024 * 1024) + b"}",
                         headers={"content-type": "application/json"})
    assert answer.status_code == 413 and answer.json()["detail"][0]["type"] == "too_large"


@pytest.mark.parametrize("token", ["Qz9", "A" * 43, "%C3%A4", "A" * 3000],
                         ids=["short", "same-shape", "non-ascii", "long"])
def test_unknown_tokens_are_404_alike_and_never_echoed(client, token):
    for method, path in (("GET", f"/searches/{token}"), ("GET", f"/searches/{token}/feed"),
                         ("DELETE", f"/searches/{token}"), ("GET", f"/suche/{token}")):
        answer = client.request(method, path)
        assert answer.status_code == 404, (method, path)
        assert token not in answer.text
    detail = client.get(f"/searches/{token}").json()["detail"]
    assert detail == [{"type": "not_found", "loc": ["path", "token"], "msg": "no saved search with this token"}]


def test_without_a_database_saved_searches_answer_503(tiny_model):
    with TestClient(create_app(model=tiny_model, settings=Settings(model_dir=None))) as c:
        answer = c.post("/searches", json={"profile": PROFILE, "consent": True})
        assert answer.status_code == 503 and answer.json()["detail"][0]["loc"] == ["searches_db"]
        assert "Suche speichern" not in c.get("/", params={"bedarf": "Beteiligung"}).text


def test_the_actor_page_saves_only_with_consent_and_the_private_page_deletes(client):
    page = client.get("/", params={"titel": PROFILE["role_title"], "bedarf": PROFILE["needs"], "land": "NW"}).text
    assert "Suche speichern und über neue Angebote informiert werden" in page and "180 Tage" in page
    form = {"titel": PROFILE["role_title"], "bedarf": PROFILE["needs"], "land": "NW", "format": "", "rolle": ""}
    refused = client.post("/suche", data=form)
    assert refused.status_code == 422 and "Bitte stimmen Sie zu" in refused.text and "class=\"card\"" in refused.text
    saved = client.post("/suche", data={**form, "einwilligung": "ja"}, follow_redirects=False)
    assert saved.status_code == 303 and saved.headers["location"].startswith("http://testserver/suche/")
    page = client.get(saved.headers["location"])
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    assert PROFILE["needs"] in page.text and "Noch keine" in page.text and "/feed" in page.text
    gone = client.post(saved.headers["location"] + "/loeschen")
    assert gone.status_code == 200 and "Ihre Suche ist gelöscht" in gone.text
    assert client.get(saved.headers["location"]).status_code == 404


# tokens and logs


def test_tokens_never_reach_the_access_log_or_the_error_log(client, caplog):
    import urllib.request

    import uvicorn

    from browser import free_port
    token = client.post("/searches", json={"profile": PROFILE, "top_k": 2, "consent": True}).json()["token"]
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(client.app, host="127.0.0.1", port=port, log_config=None,
                                           access_log=True, lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    with caplog.at_level(logging.INFO):
        thread.start()
        while not server.started:
            time.sleep(0.05)
        for path in (f"/searches/{token}", f"/searches/{token}/feed", f"/suche/{token}"):
            assert urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10).status == 200
        server.should_exit = True
        thread.join(10)
        logging.getLogger("service").error("unavailable on GET /searches/%s/feed: boom", token)  # as errors.py logs
    access = [r for r in caplog.records if r.name == "uvicorn.access"]
    assert len(access) == 3 and all("/[redacted]" in r.getMessage() for r in access)
    assert token not in caplog.text and "/searches/[redacted]/feed" in caplog.text


# the browser


def test_a_person_saves_a_search_follows_it_to_a_new_offer_and_deletes_it(served, plus_model_dir):
    from browser import browser, running_server, serious_violations
    with running_server(served, {"KOMMUNE_MATCHER_RELOAD_SECONDS": "0.5"}) as base, browser() as chromium:
        page = chromium.new_page(viewport={"width": 1280, "height": 900})
        page.goto(base + "/")
        page.get_by_label("Berufsbezeichnung").fill(PROFILE["role_title"])
        page.get_by_label("Was brauchen Sie?").fill(PROFILE["needs"])
        page.get_by_label("Bundesland").select_option("NW")
        page.get_by_role("button", name="Angebote finden").click()
        page.wait_for_selector(".card")
        results = page.url
        page.get_by_role("button", name="Suche speichern").click()  # without consent the browser refuses
        assert page.url == results
        page.get_by_label("Ich bin einverstanden").check()
        page.get_by_role("button", name="Suche speichern").click()
        page.wait_for_selector("h1:has-text('Ihre gespeicherte Suche')")
        private = page.url
        assert "/suche/" in private and "Noch keine" in page.inner_text("body")
        assert PROFILE["needs"] in page.inner_text(".saved-profile")
        assert serious_violations(page) == []

        swap(served, plus_model_dir)  # a retrain: the service reloads it and computes the new offers
        deadline = time.time() + 90
        while NEW_OFFER["title"] not in page.inner_text("body"):
            assert time.time() < deadline, "the new offer did not appear"
            time.sleep(0.5)
            page.reload()
        assert page.locator(".new-offers li").count() == 1
        feed_url = page.get_by_role("link", name="/feed").get_attribute("href")
        feed = ET.fromstring(page.request.get(feed_url).body())
        assert [e.find(f"{ATOM}title").text for e in feed.findall(f"{ATOM}entry")] == [NEW_OFFER["title"]]

        page.get_by_role("button", name="Suche jetzt löschen").click()
        page.wait_for_selector("h1:has-text('Ihre Suche ist gelöscht')")
        assert page.goto(private).status == 404
        assert "Diese Suche gibt es nicht (mehr)" in page.inner_text("h1")
        assert page.request.get(feed_url).status == 404
