"""The service under load and at shutdown, and what it sends with every answer: admission control (503 with
Retry-After, probes never starved), graceful SIGTERM, shared query embeddings, security headers."""
import asyncio
import signal
import threading
import time

import httpx
import numpy as np
import pytest
from fastapi.testclient import TestClient

from browser import running_server, server_process
from matcher.text import QueryCache
from service.main import create_app
from service.settings import Settings

GOOD = {"profile": {"role_title": "Jugendhilfeplanerin", "needs": "Jugendliche an der Planung beteiligen"},
        "top_k": 3}


def test_beyond_the_admission_limit_every_engine_request_is_503_at_once_and_nothing_else_is(tiny_model):
    app = create_app(model=tiny_model, settings=Settings(model_dir=None, max_waiting=0))
    with TestClient(app) as c:
        api = c.post("/recommendations", json=GOOD)
        assert api.status_code == 503 and int(api.headers["retry-after"]) >= 1
        assert api.json()["detail"][0]["type"] == "overloaded"
        page = c.get("/", params={"titel": "Planerin", "bedarf": "Beteiligung"})
        assert page.status_code == 503 and page.headers["content-type"].startswith("text/html")
        assert "Gerade ausgelastet" in page.text and "Sekunden" in page.text
        assert c.get("/team", params={"aktion": "suchen"}).status_code == 503
        # pages without a search, the probes, the docs and the offers never count against the limit
        for path in ("/", "/team", "/anbieter", "/health", "/ready", "/offers/t01", "/openapi.json"):
            assert c.get(path).status_code == 200, path


def test_a_loaded_service_sheds_with_503_answers_the_rest_and_keeps_its_probes_quick(tiny_model_dir):
    async def load(base):
        async with httpx.AsyncClient(base_url=base, timeout=60) as client:
            bodies = [{"profile": {"needs": f"Beteiligung von Jugendlichen, Frage {i}"}, "top_k": 5}
                      for i in range(40)]
            flood = [asyncio.create_task(client.post("/recommendations", json=b)) for b in bodies]
            await asyncio.sleep(0.2)
            started = time.perf_counter()
            health = await client.get("/health")
            health_seconds = time.perf_counter() - started
            return await asyncio.gather(*flood), health, health_seconds

    with running_server(tiny_model_dir, extra_args=["--max-waiting", "3"]) as base:
        answers, health, health_seconds = asyncio.run(load(base))
    codes = [r.status_code for r in answers]
    assert set(codes) <= {200, 503} and codes.count(200) >= 3 and 503 in codes
    shed = next(r for r in answers if r.status_code == 503)
    assert shed.headers["retry-after"].isdigit() and shed.json()["detail"][0]["type"] == "overloaded"
    assert health.status_code == 200 and health_seconds < 2.0  # generous on a shared machine: not starved


def test_on_sigterm_a_request_in_flight_is_still_answered_and_new_ones_get_503(tiny_model_dir):
    team = {"members": [{"id": f"m{i}", "needs": f"Gewaltprävention an Schulen, Baustein {i}. " * 30}
                        for i in range(12)], "top_k": 10}
    with server_process(tiny_model_dir, {"KOMMUNE_MATCHER_DRAIN_SECONDS": "3"}) as (base, proc):
        answer = {}
        worker = threading.Thread(target=lambda: answer.update(
            r=httpx.post(base + "/recommendations/group", json=team, timeout=60)))
        worker.start()
        time.sleep(0.3)  # the request is in the engine now
        proc.send_signal(signal.SIGTERM)
        time.sleep(0.3)
        late = httpx.post(base + "/recommendations", json=GOOD, timeout=10)
        page = httpx.get(base + "/", params={"bedarf": "Jugendbeteiligung"}, timeout=10)
        ready = httpx.get(base + "/ready", timeout=10)
        health = httpx.get(base + "/health", timeout=10)
        worker.join(60)
        assert answer["r"].status_code == 200 and len(answer["r"].json()["recommendations"]) > 0
        assert late.status_code == 503 and late.json()["detail"][0]["type"] == "shutting_down"
        assert late.headers["retry-after"].isdigit() and late.headers["connection"] == "close"
        assert page.status_code == 503 and "neu gestartet" in page.text
        assert ready.status_code == 503 and health.status_code == 200
        # uvicorn finishes the request, shuts down, then re-raises the signal it caught
        assert proc.wait(timeout=40) in (0, -signal.SIGTERM)


class CountingEncoder:
    name = "counting"

    def __init__(self):
        self.seen = []

    def encode_queries(self, texts):
        self.seen.extend(texts)
        return np.array([[len(t), 1.0] for t in texts], dtype=np.float32)

    def encode_passages(self, texts):
        return self.encode_queries(texts)


def test_the_query_cache_encodes_each_text_once_and_forgets_the_least_recently_used():
    inner = CountingEncoder()
    cache = QueryCache(inner, maxsize=2)
    first = cache.encode_queries(["aa", "b", "aa"])
    assert inner.seen == ["aa", "b"] and first.tolist() == [[2, 1], [1, 1], [2, 1]]
    assert cache.encode_queries(["b"]).tolist() == [[1, 1]] and inner.seen == ["aa", "b"]
    cache.encode_queries(["ccc"])  # evicts "aa", the least recently used
    cache.encode_queries(["aa"])
    assert inner.seen == ["aa", "b", "ccc", "aa"]
    assert (cache.hits, cache.misses) == (2, 4)
    assert cache.encode_queries([]).shape[0] == 0


def test_a_team_member_asked_again_alone_costs_no_encoding(tiny_model):
    app = create_app(model=tiny_model, settings=Settings(model_dir=None))
    members = [{"id": "a", "role_title": "Jugendhilfeplanerin", "needs": "Jugendliche an der Planung beteiligen"},
               {"id": "b", "role_title": "Schulsozialarbeiter", "needs": "Mobbing in der Klasse 7"}]
    with TestClient(app) as c:
        assert c.post("/recommendations/group", json={"members": members}).status_code == 200
        cache = app.state.recommender.model.encoder
        misses = cache.misses
        single = {"profile": {k: v for k, v in members[1].items() if k != "id"}, "top_k": 3}
        assert c.post("/recommendations", json=single).status_code == 200
        assert cache.misses == misses and cache.hits > 0


@pytest.mark.parametrize("path", ["/", "/team", "/anbieter", "/static/style.css", "/health", "/offers/nope",
                                  "/docs"])
def test_every_answer_carries_the_security_headers(tiny_model, path):
    app = create_app(model=tiny_model, settings=Settings(model_dir=None))
    with TestClient(app) as c:
        r = c.get(path, headers={"Origin": "https://elsewhere.example"})
    policy = r.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy
    if path != "/docs":  # FastAPI's Swagger page needs its CDN and inline script, and gets only those
        assert "script-src 'self';" in policy and "unsafe-inline" not in policy
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"] == "no-referrer"
    assert "access-control-allow-origin" not in r.headers  # no CORS unless someone configures it


def test_pages_hold_no_inline_script_or_style(tiny_model):
    app = create_app(model=tiny_model, settings=Settings(model_dir=None))
    with TestClient(app) as c:
        pages = [c.get("/", params={"titel": "Planerin", "bedarf": "Beteiligung"}).text,
                 c.get("/team").text, c.get("/anbieter").text]
    for html in pages:
        assert "<script" not in html and "<style" not in html and " style=" not in html
        assert " onclick=" not in html and " onerror=" not in html
