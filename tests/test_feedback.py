"""Feedback as people give it: POST /feedback through a real client, the page's buttons posting their form, what
is stored (every column read back), the refit's math with hand-computed pairs, its guard, and `matcher refit` as
a subprocess, killed at any moment."""
import json
import signal
import sqlite3
import subprocess
import sys
import time
from dataclasses import replace
from datetime import date, timedelta

import numpy as np
import pytest
from fastapi.testclient import TestClient

from conftest import TINY_CATALOG, run_cli

from matcher import ROLES, load, parse_profile, render
from matcher.feedback import (FeedbackStore, StoredVerdict, VerdictCounts, fit_with_prior, pairs_of,
                              pairwise_accuracy, person_verdict, read_lists, refit_weights)
from matcher.model import DEFAULT_WEIGHTS, SIGNALS, FeedbackPrior
from matcher.ranking import score
from service.main import create_app
from service.settings import Settings

NAMES = tuple(SIGNALS)
SECRET_NEEDS = "Wir planen heimlich Beteiligung mit Kennwort Zitronenfalter"
SECRET_TITLE = "Jugendhilfeplanerin Frau Mustermann-Zitrone"
PERSON = {"role_title": SECRET_TITLE, "needs": SECRET_NEEDS, "region": "NW"}


@pytest.fixture
def served(tiny_model_dir, tmp_path):
    """(client, database URL) of the service on the tiny model, verdicts kept in a fresh SQLite file."""
    db = f"sqlite:///{tmp_path / 'feedback.sqlite'}"
    settings = Settings(model_dir=str(tiny_model_dir), feedback_db=db, demand_db=db)
    with TestClient(create_app(load(tiny_model_dir), settings)) as client:
        yield client, db


def shown_ids(client, person=PERSON, top_k=10):
    answer = client.post("/recommendations", json={"profile": person, "top_k": top_k})
    assert answer.status_code == 200
    return [r["offer_id"] for r in answer.json()["recommendations"]]


# --- the API ---------------------------------------------------------------------------------------------------

def test_a_verdict_is_stored_and_answered_201_with_its_id(served):
    client, db = served
    first = shown_ids(client)[0]
    answer = client.post("/feedback", json={"profile": PERSON, "offer_id": first, "verdict": "passt"})
    assert answer.status_code == 201, answer.text
    assert isinstance(answer.json()["id"], int)
    assert answer.headers["x-content-type-options"] == "nosniff"  # the security headers of every route
    stored = FeedbackStore(db).read()
    assert [(v.offer_id, v.passt, v.kind) for v in stored] == [(first, True, "person")]
    assert stored[0].offers[:len(shown_ids(client))] == tuple(shown_ids(client))  # the list, in the order shown


def test_a_team_verdict_is_stored(served):
    client, db = served
    team = {"members": [PERSON, {"role_title": "Ratsmitglied", "needs": "Jugendbeteiligung beschließen",
                                 "region": "NW"}]}
    offers = [r["offer_id"] for r in client.post("/recommendations/group", json=team).json()["recommendations"]]
    answer = client.post("/feedback", json={"team": team, "offer_id": offers[0], "verdict": "passt_nicht"})
    assert answer.status_code == 201, answer.text
    (row,) = FeedbackStore(db).read()
    assert (row.kind, row.passt, row.offer_id) == ("team", False, offers[0])


@pytest.mark.parametrize("change, field, type_", [
    ({"offer_id": "gibt-es-nicht"}, "offer_id", "unknown_offer"),
    ({"verdict": "super"}, "verdict", "literal_error"),
    ({"profile": None}, None, "one_of"),
    ({"top_k": 0}, "top_k", "greater_than_equal"),
    ({"top_k": 10**9}, "top_k", "less_than_equal"),
    ({"profile": {**PERSON, "region": "XX"}}, "region", "unknown_code"),
])
def test_bad_verdicts_answer_422_naming_the_field(served, change, field, type_):
    client, db = served
    body = {"profile": PERSON, "offer_id": shown_ids(client)[0], "verdict": "passt", **change}
    body = {k: v for k, v in body.items() if v is not None}
    answer = client.post("/feedback", json=body)
    assert answer.status_code == 422, answer.text
    problem = answer.json()["detail"][0]
    assert problem["type"] == type_
    assert field is None or problem["loc"][-1] == field
    assert FeedbackStore(db).read() == []  # nothing stored


def test_an_offer_the_person_could_not_have_been_shown_is_refused(served, tiny_model_dir):
    client, db = served
    model = load(tiny_model_dir)
    elsewhere = next(o for o in model.offers if o.region not in ("bund", "NW"))
    answer = client.post("/feedback", json={"profile": PERSON, "offer_id": elsewhere.id, "verdict": "passt"})
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["type"] == "not_reachable"
    assert elsewhere.region in answer.json()["detail"][0]["msg"]


def test_an_expired_offer_is_refused(tiny_model_dir):
    model = load(tiny_model_dir)
    offer = model.offers[0]
    expired = replace(model, offers=(replace(offer, valid_until=date.today() - timedelta(days=1)),
                                     *model.offers[1:]))
    with pytest.raises(Exception, match="expired"):
        person_verdict(expired, parse_profile({"needs": "Beteiligung"}), offer.id, "passt")


def test_both_profile_and_team_is_refused(served):
    client, _ = served
    team = {"members": [PERSON, PERSON]}
    answer = client.post("/feedback", json={"profile": PERSON, "team": team, "offer_id": "x", "verdict": "passt"})
    assert answer.status_code == 422 and answer.json()["detail"][0]["type"] == "one_of"


def test_a_huge_body_is_refused_before_it_is_read(served):
    client, _ = served
    answer = client.post("/feedback", content=b'{"profile": {"needs": "' + b"x" * (2 * 1024 * 1024) + b'"}}',
                         headers={"content-type": "application/json"})
    assert answer.status_code == 413


def test_without_a_feedback_database_the_route_says_503(tiny_model_dir):
    settings = Settings(model_dir=str(tiny_model_dir), feedback_db="", demand_db="")
    with TestClient(create_app(load(tiny_model_dir), settings)) as client:
        first = shown_ids(client)[0]
        answer = client.post("/feedback", json={"profile": PERSON, "offer_id": first, "verdict": "passt"})
        assert answer.status_code == 503
        assert answer.json()["detail"][0]["loc"] == ["feedback_db"]
        assert "rueckmeldung" not in client.get("/", params={"bedarf": "Beteiligung"}).text  # no buttons either


def test_the_openapi_schema_documents_the_route(served):
    client, _ = served
    operation = client.get("/openapi.json").json()["paths"]["/feedback"]["post"]
    assert "201" in operation["responses"] and "422" in operation["responses"]


def test_nothing_personal_is_stored_in_any_column(served):
    client, db = served
    client.get("/", params={"titel": SECRET_TITLE, "bedarf": SECRET_NEEDS, "land": "NW"})
    first = shown_ids(client)[0]
    assert client.post("/feedback", json={"profile": PERSON, "offer_id": first, "verdict": "passt"}).status_code == 201
    client.post("/rueckmeldung", data={"seite": "person", "titel": SECRET_TITLE, "bedarf": SECRET_NEEDS,
                                       "land": "NW", "angebot": first, "urteil": "passt_nicht", "platz": "1"},
                follow_redirects=False)
    path = db.removeprefix("sqlite:///")
    with sqlite3.connect(path) as conn:
        tables = [t for (t,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        columns = {t: [c[1] for c in conn.execute(f"PRAGMA table_info({t})")] for t in tables}
        cells = [str(v) for t in tables for row in conn.execute(f"SELECT * FROM {t}") for v in row]
    assert set(columns["feedback_verdicts"]) == {"id", "day", "kind", "offer_id", "verdict", "roles", "fields",
                                                 "model_version", "list_key", "signals"}
    assert len(FeedbackStore(db).read()) == 2
    text = " ".join(cells).casefold()
    for secret in ("zitronenfalter", "mustermann", "kennwort", "heimlich", "frau"):
        assert secret not in text


# --- the pages ------------------------------------------------------------------------------------------------

def test_a_card_button_stores_the_verdict_and_goes_back_to_the_same_card(served):
    client, db = served
    page = client.get("/", params={"titel": "Jugendhilfeplanerin", "bedarf": "Beteiligung von Jugendlichen",
                                   "land": "NW"})
    assert page.text.count('action="/rueckmeldung"') == len(shown_ids(
        client, {"role_title": "Jugendhilfeplanerin", "needs": "Beteiligung von Jugendlichen", "region": "NW"}))
    offer = shown_ids(client, {"role_title": "Jugendhilfeplanerin", "needs": "Beteiligung von Jugendlichen",
                               "region": "NW"})[1]
    answer = client.post("/rueckmeldung", data={"seite": "person", "titel": "Jugendhilfeplanerin",
                                                "bedarf": "Beteiligung von Jugendlichen", "land": "NW",
                                                "angebot": offer, "urteil": "passt", "platz": "2"},
                         follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"].endswith(f"vermerkt={offer}#angebot-2")
    back = client.get(answer.headers["location"])
    assert back.text.count("Danke, vermerkt") == 1
    assert [v.offer_id for v in FeedbackStore(db).read()] == [offer]


def test_a_tampered_button_gets_a_german_page_and_stores_nothing(served):
    client, db = served
    answer = client.post("/rueckmeldung", data={"seite": "person", "bedarf": "Beteiligung", "land": "NW",
                                                "angebot": "gibt-es-nicht", "urteil": "passt"})
    assert answer.status_code == 422
    assert "nicht vermerken" in answer.text
    assert FeedbackStore(db).read() == []


def test_the_team_page_has_buttons_too(served):
    client, db = served
    params = {"personen": "2", "land": "NW", "titel1": "Jugendhilfeplanerin", "bedarf1": "Beteiligung planen",
              "titel2": "Ratsmitglied", "bedarf2": "Jugendbeteiligung beschließen", "aktion": "suchen"}
    page = client.get("/team", params=params)
    assert 'value="team"' in page.text and 'action="/rueckmeldung"' in page.text
    team = {"members": [{"role_title": "Jugendhilfeplanerin", "needs": "Beteiligung planen", "region": "NW"},
                        {"role_title": "Ratsmitglied", "needs": "Jugendbeteiligung beschließen", "region": "NW"}]}
    offer = client.post("/recommendations/group", json=team).json()["recommendations"][0]["offer_id"]
    answer = client.post("/rueckmeldung", data={**{k: v for k, v in params.items() if k != "aktion"},
                                                "seite": "team", "angebot": offer, "urteil": "passt",
                                                "platz": "1"}, follow_redirects=False)
    assert answer.status_code == 303 and "aktion=suchen" in answer.headers["location"]
    assert "Danke, vermerkt" in client.get(answer.headers["location"]).text
    assert [v.kind for v in FeedbackStore(db).read()] == ["team"]


def test_providers_see_shown_and_verdict_counts_with_a_share_from_five_on(served, tiny_model_dir):
    client, db = served
    model = load(tiny_model_dir)
    first = shown_ids(client)[0]
    for verdict in ("passt", "passt", "passt", "passt_nicht"):
        assert client.post("/feedback", json={"profile": PERSON, "offer_id": first,
                                              "verdict": verdict}).status_code == 201
    provider = model.offer(first).provider
    data = client.get(f"/providers/{provider}/portfolio").json()
    row = next(r for r in data["responses"] if r["offer_id"] == first)
    assert (row["shown"], row["passt"], row["passt_nicht"], row["passt_share"]) == (1, 3, 1, None)  # 4 < 5
    client.post("/feedback", json={"profile": PERSON, "offer_id": first, "verdict": "passt"})
    row = next(r for r in client.get(f"/providers/{provider}/portfolio").json()["responses"]
               if r["offer_id"] == first)
    assert row["passt_share"] == 0.8
    page = client.get("/anbieter", params={"anbieter": provider})
    assert "Wie Ihre Angebote ankommen" in page.text and "80 %" in page.text


def test_the_portfolio_report_counts_verdicts_too(tiny_model_dir, tmp_path):
    db = f"sqlite:///{tmp_path / 'demand.sqlite'}"
    model = load(tiny_model_dir)
    person = parse_profile({"needs": "Beteiligung von Jugendlichen", "region": "NW"})
    offer = person_verdict(model, person, model.offers[0].id, "passt")
    FeedbackStore(db).add(offer)
    out = tmp_path / "portfolio.json"
    run_cli("portfolio", "--model", tiny_model_dir, "--provider", model.offers[0].provider, "--demand-db", db,
            "--out", out, check_rc=0)
    rows = json.loads(out.read_text(encoding="utf-8"))["responses"]
    assert next(r for r in rows if r["offer_id"] == model.offers[0].id)["passt"] == 1


# --- the refit's math -----------------------------------------------------------------------------------------

def verdict(list_key, offer_id, passt, offers, values, names=NAMES, id_=0, roles=("planung",)):
    return StoredVerdict(id_, list_key, offer_id, passt, "person", "v1", roles, names, tuple(offers),
                         tuple(tuple(v) for v in values))


def row(**signals):
    return [signals.get(n, 0.0) for n in NAMES]


def test_pairs_of_one_list_by_hand():
    # a: passt, b: no verdict, c: passt nicht -> a > b, a > c, b > c; the feedback column is the one given
    values = [row(word=3.0), row(word=1.0), row(format=2.0)]
    stored = [verdict("L", "a", True, "abc", values), verdict("L", "c", False, "abc", values)]
    (lst,), skipped = read_lists(stored)
    assert skipped == 0 and lst.verdicts == 2 and list(lst.labels) == [1, 0, -1]
    got = sorted(map(tuple, pairs_of(lst, np.array([0.5, 0.0, 0.0])).diffs))
    want = sorted(map(tuple, [row(word=2.0, feedback=0.5), row(word=3.0, format=-2.0, feedback=0.5),
                              row(word=1.0, format=-2.0)]))
    assert got == want


def test_the_feedback_signal_by_hand():
    # offer a: 2 x passt (role planung), offer b: 2 x passt nicht; all verdicts: rate 1/2
    values = [row(), row()]
    lists, _ = read_lists([verdict("L1", "a", True, "ab", values), verdict("L1", "b", False, "ab", values),
                           verdict("L2", "a", True, "ab", values), verdict("L2", "b", False, "ab", values)])
    counts = VerdictCounts(lists)
    offer = (2 + 3.0 * 0.5) / (2 + 3.0)  # 0.7: shrunk by ALPHA_OFFER = 3 pseudo-verdicts at the overall rate
    by_role = (2 + 2.0 * offer) / (2 + 2.0)  # 0.85: shrunk by ALPHA_ROLE = 2 towards the offer's rate
    assert counts.value("a", None, 0.5) == pytest.approx(np.log(offer / (1 - offer)))
    assert counts.value("a", "planung", 0.5) == pytest.approx(np.log(by_role / (1 - by_role)))
    assert counts.value("a", "politik", 0.5) == pytest.approx(np.log(offer / (1 - offer)))  # nobody of that role
    assert counts.value("b", None, 0.5) == pytest.approx(-np.log(offer / (1 - offer)))
    # left out, L1 sees only L2's verdicts: one passt for a
    one = (1 + 3.0 * 0.5) / (1 + 3.0)
    one_role = (1 + 2.0 * one) / (1 + 2.0)
    assert counts.signal_of(lists[0], leave_out=True)[0] == pytest.approx(np.log(one_role / (1 - one_role)))
    prior = counts.prior({"a": 0, "b": 1, "c": 2}, 3)
    assert prior.overall[2] == 0.0 and prior.by_role.shape == (3, 7)


def test_a_refitted_feedback_signal_reaches_the_ranking(tiny_model):
    prior = FeedbackPrior(np.zeros(len(tiny_model.offers)), np.zeros((len(tiny_model.offers), len(ROLES))))
    prior.by_role[0, ROLES.index("planung")] = 5.0  # planners here found the first offer fitting
    model = replace(tiny_model, feedback=prior, weights=replace(DEFAULT_WEIGHTS, feedback=1.0))
    planner, councillor = score(model, [parse_profile({"role": "planung", "needs": "Beteiligung"}),
                                        parse_profile({"role": "politik", "needs": "Beteiligung"})])
    assert planner.raw["feedback"][0] == 5.0 and planner.raw["feedback"][1:].max() == 0.0
    assert councillor.raw["feedback"].max() == 0.0
    from matcher import recommend
    first = recommend(model, parse_profile({"role": "planung", "needs": "Beteiligung"}), 14)
    liked = [rec for rec in first.recommendations if any(r.kind == "liked" for r in rec.reasons)]
    assert [rec.offer_id for rec in liked] == [model.offers[0].id]
    assert "als passend bewertet" in render(next(r for r in liked[0].reasons if r.kind == "liked"))


def test_contradicting_verdicts_and_foreign_signals_are_left_out():
    values = [row(word=1.0), row()]
    stored = [verdict("L", "a", True, "ab", values), verdict("L", "a", False, "ab", values),
              verdict("M", "a", True, "ab", [[1.0] * 3, [0.0] * 3], names=("word", "char", "old")),
              verdict("N", "a", True, "ab", values)]
    lists, skipped = read_lists(stored)
    assert skipped == 3  # two contradicting verdicts, one of a model with other signals
    assert [lst.key for lst in lists] == ["N"]


def test_a_list_weighs_one_however_many_verdicts_it_sent():
    rng = np.random.default_rng(1)
    lists = []
    for n in range(20):
        values = rng.normal(size=(4, len(NAMES)))
        lists.append([verdict(f"L{n}", "o0", True, ["o0", "o1", "o2", "o3"], values)])
    flood = [verdict("L0", "o0", True, ["o0", "o1", "o2", "o3"], lists[0][0].values, id_=i) for i in range(10_000)]
    start = np.array([getattr(DEFAULT_WEIGHTS, n) for n in NAMES])

    def pairs(stored):
        found, _ = read_lists(stored)
        return [pairs_of(lst, np.zeros(len(lst.offers))) for lst in found]
    once = pairs([v for group in lists for v in group])
    flooded = pairs([v for group in lists[1:] for v in group] + flood)
    assert np.allclose(fit_with_prior(once, start), fit_with_prior(flooded, start))


def test_the_prior_keeps_the_weights_home_with_little_feedback():
    (lst,), _ = read_lists([verdict("L", "a", True, "ab", [row(format=1.0), row()])])  # the format signal decided
    lp = pairs_of(lst, np.zeros(2))
    start = np.array([getattr(DEFAULT_WEIGHTS, n) for n in NAMES])
    moved = fit_with_prior([lp], start, strength=3.0) - start
    format_ = NAMES.index("format")
    assert 0 < moved[format_] < 0.2 and np.allclose(np.delete(moved, format_), 0, atol=1e-6)
    assert pairwise_accuracy(lp, start) == 1.0  # format weight is positive: already ordered right


FORMAT_FIRST = np.array([{"semantic": 0.2, "format": 3.0}.get(n, 0.0) for n in NAMES])  # people who care for format


def synthetic(truth: np.ndarray, lists: int, rng, flip: float = 0.0, random_verdicts: bool = False):
    """Verdicts of people whose taste is `truth`: in each list of 10, the best 3 "passt", the worst 3 "passt nicht"."""
    out, n = [], 0
    for k in range(lists):
        values = np.column_stack([rng.normal(size=(10, len(NAMES) - 1)), np.zeros(10)])  # no feedback signal yet
        order = np.argsort(-(values @ truth))
        ids = [f"o{k}-{i}" for i in range(10)]
        for rank, i in enumerate(order):
            if 3 <= rank < 7:
                continue
            passt = rank < 3
            if random_verdicts:
                passt = bool(rng.random() < 0.5)
            elif rng.random() < flip:
                passt = not passt
            n += 1
            out.append(verdict(f"L{k}", ids[i], passt, ids, values, id_=n))
    return out


def index_of(stored) -> dict:
    return {o: i for i, o in enumerate(sorted({o for v in stored for o in v.offers}))}


def test_the_guard_adopts_what_orders_held_out_lists_better():
    stored = synthetic(FORMAT_FIRST, 60, np.random.default_rng(0))
    outcome = refit_weights(stored, DEFAULT_WEIGHTS, index_of(stored))
    assert outcome.adopted, outcome.reason
    assert outcome.after > outcome.before
    assert outcome.weights.format > 2 * DEFAULT_WEIGHTS.format


@pytest.mark.parametrize("seed", range(5))
def test_the_guard_keeps_the_model_when_the_verdicts_are_pure_noise(seed):
    stored = synthetic(np.ones(len(NAMES)), 60, np.random.default_rng(seed), random_verdicts=True)
    outcome = refit_weights(stored, DEFAULT_WEIGHTS, index_of(stored), seed=seed)
    assert not outcome.adopted, outcome.reason
    assert outcome.weights == DEFAULT_WEIGHTS


def test_too_little_feedback_keeps_the_model_and_says_so():
    stored = synthetic(np.ones(len(NAMES)), 2, np.random.default_rng(0))
    outcome = refit_weights(stored, DEFAULT_WEIGHTS, index_of(stored))
    assert not outcome.adopted and "too little feedback" in outcome.reason


# --- matcher refit, as a user runs it -------------------------------------------------------------------------

def store_synthetic(db: str, model_dir, truth, lists=60):
    """Verdicts of a model's own offers and signal names, from people whose taste is truth."""
    ids = load(model_dir).offer_ids
    store = FeedbackStore(db)
    rng = np.random.default_rng(0)
    for v in synthetic(truth, lists, rng):
        rename = dict(zip(v.offers, ids[int(v.list_key[1:]) % 2:]))  # the tiny catalog's offers, two ways round
        store.add({"day": date.today(), "kind": "person", "offer_id": rename[v.offer_id],
                   "verdict": "passt" if v.passt else "passt_nicht", "roles": "planung", "fields": "",
                   "model_version": "a-version-long-gone", "list_key": v.list_key,
                   "signals": {"names": list(v.names), "offers": [rename[o] for o in v.offers],
                               "values": [list(x) for x in v.values]}})


def test_refit_writes_a_new_version_with_its_card(tmp_path):
    model_dir = tmp_path / "m"
    run_cli("train", "--catalog", TINY_CATALOG, "--model", model_dir, check_rc=0)
    db = f"sqlite:///{tmp_path / 'demand.sqlite'}"  # where refit looks by default
    kept = run_cli("refit", "--model", model_dir, check_rc=0)
    assert "model kept" in kept.stdout and "too little feedback" in kept.stdout
    store_synthetic(db, model_dir, FORMAT_FIRST)
    before = model_dir.resolve()
    done = run_cli("refit", "--model", model_dir, check_rc=0)
    assert "refitted on" in done.stdout, done.stdout
    assert model_dir.resolve() != before  # a new version, swapped in as `train` does
    card = json.loads((model_dir / "model.json").read_text(encoding="utf-8"))
    (refit,) = card["refits"]
    assert refit["adopted"] and refit["verdicts"] > 100 and refit["lists"] == 60
    assert card["weights"]["format"] > card["refits"][0]["previous_weights"]["format"]
    assert load(model_dir).weights.format == card["weights"]["format"]


def test_refit_of_an_unreadable_database_is_a_usage_error(tiny_model_dir):
    proc = run_cli("refit", "--model", tiny_model_dir, "--feedback-db", "nonsense://nowhere", check_rc=2)
    assert "feedback_db" in proc.stderr


def test_refit_killed_at_any_moment_leaves_a_whole_model(tmp_path):
    model_dir = tmp_path / "m"
    run_cli("train", "--catalog", TINY_CATALOG, "--model", model_dir, check_rc=0)
    db = f"sqlite:///{tmp_path / 'demand.sqlite'}"
    store_synthetic(db, model_dir, FORMAT_FIRST)
    old = load(model_dir).weights
    for delay in (0.2, 0.5, 1.0, 1.5, 2.0, 3.0):
        proc = subprocess.Popen([sys.executable, "-m", "matcher.cli", "refit", "--model", str(model_dir)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        weights = load(model_dir).weights  # whatever the moment: a whole model, the old weights or refitted ones
        assert weights == old or weights.format > old.format
    run_cli("refit", "--model", model_dir, check_rc=0)
    assert load(model_dir).weights.format > old.format
