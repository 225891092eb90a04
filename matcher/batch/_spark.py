"""Batch scoring on Apache Spark, for profile sets too large for one machine's patience.

The driver reads and checks the profiles exactly as the local scorer does (same problems, same line numbers)
and stages the good ones as JSON Lines; the model is broadcast to the executors once; executors score Arrow
record batches with the same code as the local scorer; the driver writes the results in input order into the
same atomic output. A profile's scores do not depend on its batch, so `--engine spark` and `--engine local`
write the same file.

The model goes to the executors by its directory where one is given: each Python worker loads it memory-mapped
once, so a model of any size costs the driver nothing (a broadcast of 100,000 offers, 1.7 GB, does not fit a
default driver). `score_dataframe` scores a Spark DataFrame of profiles that a user already has.

Needs the optional extra `spark` (pyspark, pyarrow, pandas) and Java 17 or newer. On a cluster, the staging
directory must be readable by every executor (a shared filesystem) and PYSPARK_PYTHON must name a Python with
this package on the workers; locally both are set up here.
"""
from __future__ import annotations

import json
import os
import sys
import tempfile
import warnings
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path

from ..core import (ArgumentError, MatcherInputError, Problem, Profile, UnavailableError, check_top_k, limits,
                    parse_profile)
from ..io import atomic_output, is_table, read_profiles, result_to_dict
from ..model import MatchModel, load
from ..ranking import DEFAULT_FIRST_STAGE, FirstStage, recommend_many
from ._local import CHUNK, CSV_COLUMNS, run_chunks, score_chunk

DEFAULT_MASTER = "local[*]"


def _profile(text: str) -> Profile:
    values = json.loads(text)
    return Profile(**{**values, "fields": tuple(values["fields"])})


_loaded: dict[tuple[str, bool], MatchModel] = {}  # per Python worker: each model directory is mapped once


class _Shipped:
    """What goes to the executors: the model itself, or the directory they load it from (shared storage)."""

    def __init__(self, model: MatchModel | str | Path, semantic: bool):
        self.model = model if isinstance(model, MatchModel) else None
        self.directory = None if self.model is not None else str(Path(model).resolve())
        self.semantic = semantic

    def get(self) -> MatchModel:
        limits.one_blas_thread()  # in the worker, once per partition (about 2 ms)
        if self.model is not None:
            return self.model if self.semantic else self.model.lexical()
        key = (self.directory, self.semantic)
        if key not in _loaded:
            model = load(self.directory)
            _loaded[key] = model if self.semantic else model.lexical()
        return _loaded[key]


def _engine_problem(message: str, type_: str) -> UnavailableError:
    return UnavailableError([Problem(("engine",), message, type_)])


def _quiet_pandas_warning() -> None:
    # pyspark 4 warns about pandas 3; the engine exchanges Arrow batches and never uses pandas itself
    warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas", category=FutureWarning)


@contextmanager
def session(master: str | None):
    """A Spark session at `master` (None: spark-submit's, else local[*]), stopped afterwards; one that is already
    running is used as it is."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise _engine_problem("the Spark engine needs the optional extra: pip install 'kommune-matcher[spark]'",
                              "missing_dependency") from None
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)  # local workers import this very matcher
    _quiet_pandas_warning()
    running = SparkSession.getActiveSession()
    if running is not None:
        yield running
        return
    builder = SparkSession.builder
    if master is not None or "PYSPARK_GATEWAY_PORT" not in os.environ:  # under spark-submit, its --master wins
        builder = builder.master(master or DEFAULT_MASTER)
    try:
        spark = (builder.appName("kommune-matcher score")
                 .config("spark.ui.enabled", "false").config("spark.ui.showConsoleProgress", "false")
                 .config("spark.sql.execution.arrow.maxRecordsPerBatch", str(CHUNK))
                 .getOrCreate())
    except Exception as exc:  # the JVM did not start: no Java, or a master that cannot be reached
        raise _engine_problem(f"Spark could not start at {master or DEFAULT_MASTER!r} (Java 17 or newer installed, "
                              f"master reachable?): {str(exc).splitlines()[0]}", "engine_unavailable") from None
    spark.sparkContext.setLogLevel("ERROR")
    try:
        yield spark
    finally:
        spark.stop()


def score_file_spark(model: MatchModel | str | Path, profiles_path: str | Path, out_path: str | Path, *,
                     top_k: int = 10, on_problem: Callable[[Problem], None] = lambda p: None,
                     master: str | None = None, staging: str | Path | None = None, semantic: bool = True,
                     sheet: str | None = None, first_stage: FirstStage | None = DEFAULT_FIRST_STAGE) -> dict:
    """Score every good profile of a file on Spark; returns counts {"records": n, "bad": m} like score_file.

    model: a loaded model (broadcast: small catalogs), or its directory, which every executor must be able to
    read (loaded memory-mapped once per worker: any size). semantic=False: the fast mode (`--no-semantic`).
    staging: a directory for the checked profiles that every executor can read (default: a local temp dir).
    first_stage: as recommend_many takes it; it travels with the job, so executors rank as the driver asked. The
    first stage's graphs are part of the model: each worker maps them with it, once.
    """
    top_k, as_csv = check_top_k(top_k), is_table(out_path)
    if staging is not None and not Path(staging).is_dir():
        raise ArgumentError([Problem(("spark_staging",), f"{str(staging)!r} is not a directory", "not_found")])
    records = read_profiles(profiles_path, sheet=sheet)  # file-level problems raise here, before Spark or the output

    def stage(good, out, _):
        for line, profile in good:
            out.write(json.dumps({"line": line, "profile": json.dumps(asdict(profile), ensure_ascii=False)},
                                 ensure_ascii=False) + "\n")

    with tempfile.TemporaryDirectory(prefix="kommune-matcher-spark-", dir=staging) as tmp:
        staged = Path(tmp).resolve() / "profiles.jsonl"
        counts = run_chunks(records, staged, (), stage, on_problem, progress=False)
        with atomic_output(out_path, CSV_COLUMNS) as (out, _):
            if counts["records"]:
                with session(master) as spark, _job_failures():
                    for text in _scored(spark, _Shipped(model, semantic), staged.as_uri(), top_k, as_csv,
                                        first_stage):
                        out.write(text)
    return counts


@contextmanager
def _job_failures():
    """A failed job, not bad data: say so (the output is left as it was)."""
    try:
        yield
    except Exception as exc:
        if not type(exc).__module__.startswith(("pyspark", "py4j")):
            raise
        raise _engine_problem(f"the Spark job failed: {str(exc).strip().splitlines()[0]}", "engine_failed") from exc


def _scored(spark, shipped: _Shipped, staged_uri: str, top_k: int, as_csv: bool, first_stage: FirstStage | None):
    """The formatted outputs of the staged profiles, in input order."""
    import pyarrow as pa
    from pyspark import StorageLevel

    shared = spark.sparkContext.broadcast(shipped)

    def score_batches(batches):
        for batch in batches:
            lines = batch.column("line").to_pylist()
            good = [(line, _profile(text)) for line, text in zip(lines, batch.column("profile").to_pylist())]
            texts = score_chunk(shared.value.get(), good, top_k, as_csv, first_stage)
            yield pa.RecordBatch.from_arrays([pa.array(lines, pa.int64()), pa.array(texts, pa.string())],
                                             names=["line", "text"])

    # one task per core: a small staged file is one split, and PySpark gives each worker one thread
    profiles = (spark.read.schema("line LONG, profile STRING").json(staged_uri)
                .repartition(spark.sparkContext.defaultParallelism))
    # kept once scored: sorting samples its input first, which would otherwise score every profile twice
    scored = profiles.mapInArrow(score_batches, "line LONG, text STRING").persist(StorageLevel.MEMORY_AND_DISK)
    try:
        for row in scored.orderBy("line").toLocalIterator():
            yield row.text
    finally:
        scored.unpersist()
        shared.unpersist()


PROFILE_COLUMNS = ("id", "role", "role_title", "fields", "needs", "region", "format_preference")
RESULT_SCHEMA = "profile_id STRING, result STRING, problems STRING"


def score_dataframe(df, model: MatchModel | str | Path, top_k: int = 10, *, semantic: bool = True):
    """A Spark DataFrame of profiles (columns as in the profile contract: needs, and any of id, role, role_title,
    fields (array of codes), region, format_preference) scored on the executors, lazily.

    Returns a DataFrame (profile_id, result, problems): result is the JSON record `matcher score` writes for the
    profile, problems the JSON list of what is wrong with a bad profile ({"loc", "msg", "type"}); one of the two
    is null. model: loaded (broadcast) or a directory every executor can read (mapped once per worker).
    """
    import pyarrow as pa
    from pyspark.sql import functions as F

    top_k = check_top_k(top_k)
    _quiet_pandas_warning()
    if "needs" not in df.columns:
        raise ArgumentError([Problem(("needs",), "the DataFrame has no column 'needs'; columns: "
                                     + ", ".join(df.columns), "missing")])
    shared = df.sparkSession.sparkContext.broadcast(_Shipped(model, semantic))

    def score_batches(batches):
        for batch in batches:
            ids, results, problems, good = [], [], [], []
            for text in batch.column("profile").to_pylist():
                raw = {k: v for k, v in json.loads(text).items() if v is not None}
                try:
                    good.append((len(ids), parse_profile(raw)))
                    problems.append(None)
                except MatcherInputError as exc:
                    problems.append(json.dumps([p.to_dict() for p in exc.problems], ensure_ascii=False))
                ids.append(None if raw.get("id") is None else str(raw["id"]))
                results.append(None)
            for (row, _), result in zip(good, recommend_many(shared.value.get(), [p for _, p in good], top_k)):
                results[row] = json.dumps(result_to_dict(result), ensure_ascii=False)
            yield pa.RecordBatch.from_arrays([pa.array(ids, pa.string()), pa.array(results, pa.string()),
                                              pa.array(problems, pa.string())], names=["profile_id", "result",
                                                                                       "problems"])

    columns = [F.col(c) for c in PROFILE_COLUMNS if c in df.columns]
    return df.select(F.to_json(F.struct(*columns)).alias("profile")).mapInArrow(score_batches, RESULT_SCHEMA)
