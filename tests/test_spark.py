"""The Spark engine writes the same file as the local one, and says clearly when it cannot run."""
import json
import sys

import pytest

from matcher import UnavailableError
from matcher.core import ArgumentError
from matcher.batch import score_file_spark

from conftest import run_cli

PROFILES = [
    {"id": "plan", "role_title": "Jugendhilfeplanerin", "needs": "Jugendliche an der Planung beteiligen",
     "region": "NW"},
    {"needs": "Methoden der Jugendbeteiligung"},  # no id: named after its line
    {"id": "kaputt", "needs": "", "region": "XX"},  # bad: reported, skipped
    {"id": "rat", "role_title": "Ratsmitglied", "needs": "Wie reden Jugendliche mit? Beteiligung", "fields":
     ["beteiligung"], "region": "BY"},
]


@pytest.fixture
def profiles(tmp_path):
    path = tmp_path / "profiles.jsonl"
    path.write_text("".join(json.dumps(p, ensure_ascii=False) + "\n" for p in PROFILES), encoding="utf-8")
    return path


@pytest.mark.parametrize("suffix, mode", [(".jsonl", []), (".csv", []), (".jsonl", ["--no-semantic"])])
def test_spark_and_local_write_the_same_file_and_report_the_same_problems(tmp_path, tiny_model_dir, profiles,
                                                                          suffix, mode):
    runs = {}
    for engine in ("local", "spark"):
        out = tmp_path / f"{engine}{suffix}"
        proc = run_cli("score", profiles, "--model", tiny_model_dir, "--out", out, "--engine", engine,
                       "--spark-master", "local[2]", *mode, check_rc=1)  # 1: one bad profile, the good ones kept
        assert "scored 3 profiles" in proc.stderr, proc.stderr
        problems = [line for line in proc.stderr.splitlines() if line.startswith("  line ")]
        runs[engine] = (out.read_bytes(), problems)
    assert runs["spark"] == runs["local"]
    assert runs["local"][1] == ["  line 3: needs: needs is empty",
                                "  line 3: region: unknown region code 'XX'; expected one of: bund, BW, BY, BE, BB, "
                                "HB, HH, HE, MV, NI, NW, RP, SL, SN, ST, SH, TH"]
    if suffix == ".jsonl":
        ids = [json.loads(line)["profile_id"] for line in runs["spark"][0].decode().splitlines()]
        assert ids == ["plan", "line-2", "rat"]  # input order


def test_without_java_spark_says_so_and_leaves_the_output_alone(tmp_path, tiny_model_dir, profiles):
    out = tmp_path / "scored.jsonl"
    out.write_text("earlier results\n", encoding="utf-8")
    proc = run_cli("score", profiles, "--model", tiny_model_dir, "--out", out, "--engine", "spark",
                   env_update={"JAVA_HOME": str(tmp_path / "no-java")}, check_rc=2)
    assert "engine: Spark could not start" in proc.stderr and "Java 17" in proc.stderr
    assert out.read_text(encoding="utf-8") == "earlier results\n"


def test_without_pyspark_the_engine_names_the_extra_to_install(tmp_path, tiny_model, profiles, monkeypatch):
    monkeypatch.setitem(sys.modules, "pyspark", None)
    monkeypatch.setitem(sys.modules, "pyspark.sql", None)
    out = tmp_path / "scored.jsonl"
    with pytest.raises(UnavailableError) as exc:
        score_file_spark(tiny_model, profiles, out)
    assert exc.value.problems[0].loc == ("engine",)
    assert "kommune-matcher[spark]" in exc.value.problems[0].msg
    assert not out.exists()


def test_a_failed_spark_job_is_reported_and_the_output_left_alone(tmp_path, profiles):
    out = tmp_path / "scored.jsonl"
    out.write_text("earlier results\n", encoding="utf-8")
    with pytest.raises(UnavailableError) as exc:
        score_file_spark("not a model", profiles, out, master="local[1]")  # fails in the executors
    assert exc.value.problems[0].loc == ("engine",) and "Spark job failed" in exc.value.problems[0].msg
    assert out.read_text(encoding="utf-8") == "earlier results\n"


def test_a_staging_directory_that_does_not_exist_is_refused_by_name(tmp_path, tiny_model_dir, profiles):
    proc = run_cli("score", profiles, "--model", tiny_model_dir, "--out", tmp_path / "o.jsonl", "--engine", "spark",
                   "--spark-staging", tmp_path / "nowhere", check_rc=2)
    assert "spark_staging:" in proc.stderr and "is not a directory" in proc.stderr
    assert not (tmp_path / "o.jsonl").exists()


def test_a_dataframe_of_profiles_scores_as_the_local_scorer_does_and_names_the_bad_ones(tmp_path, tiny_model_dir,
                                                                                      profiles):
    from pyspark.sql import SparkSession

    from matcher.batch import score_dataframe
    local = tmp_path / "local.jsonl"
    run_cli("score", profiles, "--model", tiny_model_dir, "--out", local, check_rc=1)
    expected = {json.loads(line)["profile_id"]: json.loads(line) for line in local.read_text("utf-8").splitlines()}
    spark = SparkSession.builder.master("local[1]").config("spark.ui.enabled", "false").getOrCreate()
    try:
        rows = [{"id": p.get("id", "ohne-id"), "needs": p["needs"], "role_title": p.get("role_title"),
                 "fields": p.get("fields"), "region": p.get("region")} for p in PROFILES]
        df = spark.createDataFrame(rows, "id STRING, needs STRING, role_title STRING, fields ARRAY<STRING>, "
                                         "region STRING")
        scored = {r.profile_id: r for r in score_dataframe(df, tiny_model_dir, top_k=10).collect()}
    finally:
        spark.stop()
    assert set(scored) == {"plan", "ohne-id", "kaputt", "rat"}
    for pid in ("plan", "rat"):
        assert scored[pid].problems is None and json.loads(scored[pid].result) == expected[pid]
    # the profile without an id is named by its id column here, not by a line: its recommendations are the same
    assert json.loads(scored["ohne-id"].result)["recommendations"] == expected["line-2"]["recommendations"]
    bad = json.loads(scored["kaputt"].problems)
    assert scored["kaputt"].result is None
    assert {(tuple(p["loc"]), p["type"]) for p in bad} >= {(("needs",), "empty"), (("region",), "unknown_code")}


def test_a_dataframe_without_needs_is_refused_by_name(tiny_model):
    from matcher.batch import score_dataframe

    class NoNeeds:  # only the columns are read before the job is planned
        columns = ["id", "region"]
    with pytest.raises(ArgumentError) as exc:
        score_dataframe(NoNeeds(), tiny_model)
    assert exc.value.problems[0].loc == ("needs",) and "no column 'needs'" in exc.value.problems[0].msg


def test_spark_and_local_agree_byte_for_byte_on_candidates_first(tmp_path, tiny_model_dir, profiles):
    # the first stage forced on the tiny catalog (2 candidates per retriever and partition): issue 23
    from matcher.batch import score_file
    from matcher.model import load
    from matcher.ranking import FirstStage
    few = FirstStage(candidates=2, full_below=0)
    local, spark = tmp_path / "local.jsonl", tmp_path / "spark.jsonl"
    score_file(load(tiny_model_dir), profiles, local, first_stage=few)
    score_file_spark(tiny_model_dir, profiles, spark, master="local[2]", first_stage=few)
    assert spark.read_bytes() == local.read_bytes()
    full = tmp_path / "full.jsonl"
    score_file(load(tiny_model_dir), profiles, full, first_stage=None)
    assert local.read_bytes() != full.read_bytes()  # the candidates were fewer than the catalog: the path ran
