"""Markup and script in every text field of a catalog, and in every form field, stay text: on every page and in
every HTML report, in a real headless Chromium, no dialog opens and no payload runs."""
import json
import urllib.parse

import pytest

from browser import browser, running_server
from conftest import TINY_CATALOG, run_cli

# each payload, if it ever ran, would set window.pwned and open a dialog
PAYLOADS = [
    "<script>window.pwned=1;alert(1)</script>",
    "<img src=x onerror=\"window.pwned=1;alert(1)\">",
    "\"><svg onload=\"window.pwned=1;alert(1)\">",
    "'><iframe srcdoc=\"<script>parent.pwned=1</script>\"></iframe>",
    "</textarea><script>window.pwned=1</script>",
    "<a href=\"javascript:window.pwned=1\">x</a>",
    "{{7*7}}<style>body{display:none}</style>",
]
SEARCH = "Jugendliche beteiligen"


@pytest.fixture(scope="module")
def hostile_model_dir(tmp_path_factory):
    """The tiny catalog with a payload in every text field of every offer (the words to be found kept)."""
    folder = tmp_path_factory.mktemp("xss")
    rows = [json.loads(line) for line in TINY_CATALOG.read_text(encoding="utf-8").splitlines() if line.strip()]
    for i, row in enumerate(rows):
        payload = PAYLOADS[i % len(PAYLOADS)]
        row["title"] = f"{row['title']} {payload}"
        row["description"] = f"{payload} {row['description']} {payload}"
        row["provider"] = f"{row['provider']} {payload}"
    catalog = folder / "catalog.jsonl"
    catalog.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    run_cli("train", "--catalog", catalog, "--model", folder / "model", check_rc=0)
    return folder / "model", rows


def visit(chromium, url):
    page = chromium.new_page()
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(url)
    page.wait_for_load_state("load")
    return page, dialogs


def assert_inert(page, dialogs):
    assert dialogs == []
    assert page.evaluate("window.pwned") is None
    assert page.locator("script").count() == 0  # the pages carry no script at all, so none was injected
    assert page.evaluate("getComputedStyle(document.body).display") != "none"


def test_payloads_in_catalog_and_form_fields_never_run_on_any_page(hostile_model_dir):
    model_dir, rows = hostile_model_dir
    provider = rows[1]["provider"]
    payload = PAYLOADS[0]
    with running_server(model_dir) as base, browser() as chromium:
        urls = [
            base + "/?" + urllib.parse.urlencode({"titel": payload, "bedarf": f"{SEARCH} {PAYLOADS[1]}"}),
            base + "/?" + urllib.parse.urlencode({"bedarf": SEARCH, "land": payload}),
            base + "/team?" + urllib.parse.urlencode({"personen": 2, "aktion": "suchen", "titel1": payload,
                                                      "bedarf1": SEARCH, "titel2": PAYLOADS[2],
                                                      "bedarf2": f"Jugendbeteiligung {PAYLOADS[3]}"}),
            base + "/anbieter?" + urllib.parse.urlencode({"anbieter": provider}),
            base + "/anbieter?" + urllib.parse.urlencode({"anbieter": payload, "feld": PAYLOADS[4]}),
        ]
        for url in urls:
            page, dialogs = visit(chromium, url)
            assert_inert(page, dialogs)
        # and the markup is there to read, as text: in the cards of a search and in a provider's portfolio
        for url in (urls[0], urls[2], urls[3]):
            page, _ = visit(chromium, url)
            assert "window.pwned" in page.inner_text("main"), url


def test_payloads_never_run_in_the_html_reports(hostile_model_dir, tmp_path):
    model_dir, rows = hostile_model_dir
    report = tmp_path / "coverage.html"
    run_cli("coverage", "--model", model_dir, "--out", report, check_rc=0)
    portfolio = tmp_path / "portfolio.html"
    run_cli("portfolio", "--model", model_dir, "--provider", rows[1]["provider"], "--out", portfolio, check_rc=0)
    with browser() as chromium:
        for path in (report, portfolio):
            page, dialogs = visit(chromium, path.as_uri())
            assert dialogs == [] and page.evaluate("window.pwned") is None
            assert page.locator("script").count() == 0
        assert "onerror=" in page.inner_text("body")  # the provider's name in the portfolio, as text
