"""The command line as a user meets it: a subprocess on files on disk."""
import csv
import io
import json
import os
import subprocess
import sys

import pytest

from conftest import ROOT, TINY_CATALOG, TINY_OFFERS, run_cli


def test_validate_a_clean_catalog_exits_zero():
    proc = run_cli("validate", TINY_CATALOG, check_rc=0)
    assert "14 valid records, no problems" in proc.stdout


def test_validate_reports_line_field_and_suggestion_and_exits_one(tmp_path):
    lines = TINY_CATALOG.read_text(encoding="utf-8").splitlines()
    bad = json.loads(lines[1])
    bad.update(id="t99", fields=["praevenzion"], region="NRW")
    dup = json.loads(lines[2])
    path = tmp_path / "c.jsonl"
    path.write_text("\n".join([lines[0], json.dumps(bad), lines[2], json.dumps(dup)]) + "\n", encoding="utf-8")
    proc = run_cli("validate", path, check_rc=1)
    assert "line 2: fields[0]: unknown field code 'praevenzion'; did you mean 'praevention'?" in proc.stdout
    assert "line 2: region: unknown region code 'NRW'; did you mean 'NW'?" in proc.stdout
    assert "duplicate id 't03': first on line 3, again on line 4" in proc.stdout
    report = json.loads(run_cli("validate", path, "--format", "json", check_rc=1).stdout)
    assert report["valid_records"] == 2
    assert {"loc": [2, "fields", 0], "type": "unknown_code"}.items() <= report["problems"][0].items()


@pytest.mark.parametrize("content, words", [
    (b"", "is empty"),
    (b"\x00\x01\x02binary", "binary file"),
    ("id;title\n1;Prävention\n".encode("cp1252"), "not UTF-8"),
], ids=["empty", "binary", "windows-1252"])
def test_validate_explains_a_bad_file_in_one_sentence(tmp_path, content, words):
    path = tmp_path / "catalog.csv"
    path.write_bytes(content)
    proc = run_cli("validate", path, check_rc=1)
    assert words in proc.stdout and "Traceback" not in proc.stdout + proc.stderr


def test_validate_a_missing_file(tmp_path):
    proc = run_cli("validate", tmp_path / "nope.jsonl", check_rc=1)
    assert "does not exist" in proc.stdout and "Traceback" not in proc.stderr


def test_train_writes_a_model_with_a_card(tiny_model_dir):
    card = json.loads((tiny_model_dir / "model.json").read_text())
    assert card["offers"] == TINY_OFFERS and len(card["catalog_sha256"]) == 64


def test_train_keeps_the_good_records_and_reports_the_bad(tmp_path):
    path = tmp_path / "c.jsonl"
    path.write_text(TINY_CATALOG.read_text(encoding="utf-8") + '{"id": "x", "title": ""}\n', encoding="utf-8")
    proc = run_cli("train", "--catalog", path, "--model", tmp_path / "m", check_rc=1)
    assert f"line {len(TINY_CATALOG.read_text(encoding='utf-8').splitlines()) + 1}: title: title is empty" in proc.stderr
    assert json.loads((tmp_path / "m" / "model.json").read_text())["offers"] == TINY_OFFERS


def test_train_on_nothing_writes_nothing(tmp_path):
    path = tmp_path / "c.jsonl"
    path.write_text('{"id": "x"}\n', encoding="utf-8")
    run_cli("train", "--catalog", path, "--model", tmp_path / "m", check_rc=1)
    assert not (tmp_path / "m").exists()


def test_recommend_prints_a_german_table(tiny_model_dir):
    proc = run_cli("recommend", "--model", tiny_model_dir, "--role-title", "Jugendhilfeplanerin",
                   "--needs", "Jugendliche an der Planung beteiligen", "--region", "NW", "--top-k", "3", check_rc=0)
    assert "So haben wir Sie eingeordnet: Planungskraft in der Verwaltung" in proc.stdout
    assert " 1. Beteiligung von Jugendlichen in der Jugendhilfeplanung verankern" in proc.stdout
    assert "richtet sich ausdrücklich an Planungskräfte in der Verwaltung" in proc.stdout
    assert " 4. " not in proc.stdout


def test_recommend_json_for_scripts(tiny_model_dir):
    proc = run_cli("recommend", "--model", tiny_model_dir, "--role", "politik", "--fields", "beteiligung,kinder_jugend",
                   "--needs", "Kinder mitreden lassen", "--region", "BY", "--format-preference", "praesenz",
                   "--top-k", "2", "--json", check_rc=0)
    out = json.loads(proc.stdout)
    assert out["interpreted"] == {"role": "politik", "role_confidence": 1.0, "fields": ["beteiligung", "kinder_jugend"],
                                  "roles": ["politik"]}
    first = out["recommendations"][0]
    assert first["offer_id"] == "t06" and first["rank"] == 1 and 2 <= len(first["reasons"]) <= 4
    assert {"title", "provider", "offer_type", "format", "region", "cost", "url", "valid_until"} <= set(first)


@pytest.mark.parametrize("top_k", ["0", "-3", "abc", "51", "1e9"])
def test_recommend_refuses_bad_top_k_naming_it(tiny_model_dir, top_k):
    proc = run_cli("recommend", "--model", tiny_model_dir, "--needs", "x", "--top-k", top_k, check_rc=2)
    assert "top_k" in proc.stderr and "Traceback" not in proc.stderr


def test_recommend_refuses_bad_codes_naming_the_field(tiny_model_dir):
    proc = run_cli("recommend", "--model", tiny_model_dir, "--needs", "x", "--region", "NRW", check_rc=2)
    assert "region: unknown region code 'NRW'; did you mean 'NW'?" in proc.stderr


def test_recommend_without_a_model_says_what_to_do(tmp_path):
    proc = run_cli("recommend", "--model", tmp_path / "none", "--needs", "x", check_rc=1)
    assert "does not exist" in proc.stderr and "matcher train" in proc.stderr and "Traceback" not in proc.stderr


PROFILES = [
    {"id": "p1", "role_title": "Jugendhilfeplanerin", "needs": "Jugendliche an der Planung beteiligen", "region": "NW"},
    {"id": "p2", "role_title": "Ratsmitglied", "needs": "Kinder sollen mitreden", "region": "XX"},
    {"id": "p3", "role": "verwaltung", "fields": ["digitalisierung"], "needs": "Online-Dienste einführen"},
]


def test_score_jsonl_reports_a_bad_line_and_scores_the_rest(tmp_path, tiny_model_dir):
    src = tmp_path / "profiles.jsonl"
    src.write_text("\n".join(json.dumps(p, ensure_ascii=False) for p in PROFILES) + "\n{kaputt\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    proc = run_cli("score", src, "--model", tiny_model_dir, "--out", out, "--top-k", "3", check_rc=1)
    assert "line 2: region: unknown region code 'XX'" in proc.stderr
    assert "line 4: invalid JSON" in proc.stderr
    lines = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert [x["profile_id"] for x in lines] == ["p1", "p3"]
    assert lines[0]["interpreted"]["role"] == "planung" and 0 < lines[0]["interpreted"]["role_confidence"] <= 1
    assert lines[0]["recommendations"][0]["offer_id"] == "t01"
    assert set(lines[0]["recommendations"][0]) == {"offer_id", "rank", "score", "reasons"}
    assert "\r" not in proc.stderr  # no progress bar when stderr is not a terminal

    single = json.loads(run_cli("recommend", "--model", tiny_model_dir, "--role-title", "Jugendhilfeplanerin",
                                "--needs", PROFILES[0]["needs"], "--region", "NW", "--top-k", "3", "--json").stdout)
    assert [r["offer_id"] for r in single["recommendations"]] == [r["offer_id"] for r in lines[0]["recommendations"]]


def test_score_csv_in_and_out(tmp_path, tiny_model_dir):
    src = tmp_path / "profiles.csv"
    src.write_bytes(("id;role_title;fields;needs;region\n"
                     "c1;Schulsozialarbeiterin;praevention;Cannabis bei Jugendlichen;NW\n"
                     "c2;Stadtplaner;klima|sozialraum;Hitze in der Innenstadt;SN\n").encode("utf-8-sig"))
    out = tmp_path / "out.csv"
    run_cli("score", src, "--model", tiny_model_dir, "--out", out, "--top-k", "2", check_rc=0)
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # Excel reads UTF-8 with a BOM
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert [(r["profile_id"], r["rank"]) for r in rows] == [("c1", "1"), ("c1", "2"), ("c2", "1"), ("c2", "2")]
    assert rows[0]["offer_id"] in {"t03", "t04"} and rows[2]["offer_id"] == "t09"
    assert rows[0]["reasons"] and rows[0]["role"] == "fachkraft"


def test_score_leaves_an_existing_output_alone_when_the_input_is_bad(tmp_path, tiny_model_dir):
    out = tmp_path / "out.jsonl"
    out.write_text("previous results\n")
    src = tmp_path / "empty.jsonl"
    src.write_text("")
    proc = run_cli("score", src, "--model", tiny_model_dir, "--out", out, check_rc=1)
    assert "is empty" in proc.stderr
    assert out.read_text() == "previous results\n"


def test_no_semantic_is_the_lexical_fast_mode_and_says_so(tmp_path, tiny_model_dir):
    from matcher import load, parse_profile, recommend_many
    from matcher.io import result_to_dict
    raws = [{"id": "a", "role_title": "Jugendhilfeplanerin", "needs": "Jugendliche an der Planung beteiligen"},
            {"id": "b", "needs": "Online-Beteiligung für Senioren", "region": "BY"}]
    src = tmp_path / "p.jsonl"
    src.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in raws), encoding="utf-8")
    fast = run_cli("score", src, "--model", tiny_model_dir, "--out", tmp_path / "fast.jsonl", "--no-semantic",
                   check_rc=0)
    full = run_cli("score", src, "--model", tiny_model_dir, "--out", tmp_path / "full.jsonl", check_rc=0)
    assert "(lexical mode)" in fast.stderr and "(semantic mode)" in full.stderr
    lexical = load(tiny_model_dir).lexical()
    assert not lexical.semantic
    expected = [json.dumps(result_to_dict(r), ensure_ascii=False)
                for r in recommend_many(lexical, [parse_profile(r) for r in raws], 10)]
    assert (tmp_path / "fast.jsonl").read_text(encoding="utf-8").splitlines() == expected
    answer = json.loads(run_cli("recommend", "--model", tiny_model_dir, "--needs", "Jugendbeteiligung", "--json",
                                "--no-semantic", check_rc=0).stdout)
    assert answer["mode"] == "lexical" and answer["recommendations"]
    table = run_cli("recommend", "--model", tiny_model_dir, "--needs", "Jugendbeteiligung", "--no-semantic",
                    check_rc=0).stdout
    assert table.startswith("Schneller Modus")


def test_the_cli_and_the_service_run_blas_on_one_thread():
    # matrix-vector products of one request gain nothing from OpenBLAS's threads and lose much on a busy machine
    code = ("import sys; from matcher.cli import main; from service.main import create_app; "
            "from threadpoolctl import threadpool_info; "
            "blas = lambda: {i['num_threads'] for i in threadpool_info() if i['user_api'] == 'blas'}; "
            "before = blas(); main(['validate', sys.argv[1]]); after_cli = blas(); "
            "from threadpoolctl import threadpool_limits; threadpool_limits(2, user_api='blas'); create_app(); "
            "print(before, after_cli, blas())")
    out = subprocess.run([sys.executable, "-c", code, str(TINY_CATALOG)], capture_output=True, text=True,
                         env={**os.environ, "OPENBLAS_NUM_THREADS": "2"}, cwd=ROOT)
    assert out.stdout.split("\n")[-2] == "{2} {1} {1}", out.stderr[-2000:]
