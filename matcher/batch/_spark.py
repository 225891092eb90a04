"""Batch scoring on Apache Spark, for profile sets too large for one machine's patience.

The driver reads and checks the profiles exactly as the local scorer does (same problems, same line numbers)
and stages the good ones as JSON Lines; the model is broadcast to the executors once; executors score Arrow
record batches with the same code as the local scorer; the driver writes the results in input order into the
same atomic output. A profile's scores do not depend on its batch, so `--engine spark` and `--engine local`
write the same file.

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

from ..core import ArgumentError, Problem, Profile, UnavailableError, check_top_k
from ..io import atomic_output, is_csv, read_profiles
from ..model import MatchModel
from ._local import CHUNK, CSV_COLUMNS, run_chunks, score_chunk

DEFAULT_MASTER = "local[*]"


def _profile(text: str) -> Profile:
    values = json.loads(text)
    return Profile(**{**values, "fields": tuple(values["fields"])})


def _engine_problem(message: str, type_: str) -> UnavailableError:
    return UnavailableError([Problem(("engine",), message, type_)])


@contextmanager
def session(master: str):
    """A Spark session at `master`, stopped afterwards; one that is already running is used as it is."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise _engine_problem("the Spark engine needs the optional extra: pip install 'kommune-matcher[spark]'",
                              "missing_dependency") from None
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)  # local workers import this very matcher
    # pyspark 4 warns about pandas 3; the engine exchanges Arrow batches and never uses pandas itself
    warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas", category=FutureWarning)
    running = SparkSession.getActiveSession()
    if running is not None:
        yield running
        return
    try:
        spark = (SparkSession.builder.master(master).appName("kommune-matcher score")
                 .config("spark.ui.enabled", "false").config("spark.ui.showConsoleProgress", "false")
                 .config("spark.sql.execution.arrow.maxRecordsPerBatch", str(CHUNK))
                 .getOrCreate())
    except Exception as exc:  # the JVM did not start: no Java, or a master that cannot be reached
        raise _engine_problem(f"Spark could not start at {master!r} (Java 17 or newer installed, master "
                              f"reachable?): {str(exc).splitlines()[0]}", "engine_unavailable") from None
    spark.sparkContext.setLogLevel("ERROR")
    try:
        yield spark
    finally:
        spark.stop()


def score_file_spark(model: MatchModel, profiles_path: str | Path, out_path: str | Path, *, top_k: int = 10,
                     on_problem: Callable[[Problem], None] = lambda p: None, master: str = DEFAULT_MASTER,
                     staging: str | Path | None = None) -> dict:
    """Score every good profile of a file on Spark; returns counts {"records": n, "bad": m} like score_file.

    staging: a directory for the checked profiles that every executor can read (default: a local temp dir).
    """
    top_k, as_csv = check_top_k(top_k), is_csv(out_path)
    if staging is not None and not Path(staging).is_dir():
        raise ArgumentError([Problem(("spark_staging",), f"{str(staging)!r} is not a directory", "not_found")])
    records = read_profiles(profiles_path)  # file-level problems raise here, before Spark or the output

    def stage(good, out, _):
        for line, profile in good:
            out.write(json.dumps({"line": line, "profile": json.dumps(asdict(profile), ensure_ascii=False)},
                                 ensure_ascii=False) + "\n")

    with tempfile.TemporaryDirectory(prefix="kommune-matcher-spark-", dir=staging) as tmp:
        staged = Path(tmp).resolve() / "profiles.jsonl"
        counts = run_chunks(records, staged, (), stage, on_problem, progress=False)
        with atomic_output(out_path, CSV_COLUMNS) as (out, _):
            if counts["records"]:
                with session(master) as spark:
                    try:
                        for text in _scored(spark, model, staged.as_uri(), top_k, as_csv):
                            out.write(text)
                    except Exception as exc:  # a failed job, not bad data: say so, leave the output as it was
                        if not type(exc).__module__.startswith(("pyspark", "py4j")):
                            raise
                        raise _engine_problem(f"the Spark job failed: {str(exc).strip().splitlines()[0]}",
                                              "engine_failed") from exc
    return counts


def _scored(spark, model: MatchModel, staged_uri: str, top_k: int, as_csv: bool):
    """The formatted outputs of the staged profiles, in input order."""
    import pyarrow as pa
    from pyspark import StorageLevel

    shared = spark.sparkContext.broadcast(model)

    def score_batches(batches):
        for batch in batches:
            lines = batch.column("line").to_pylist()
            good = [(line, _profile(text)) for line, text in zip(lines, batch.column("profile").to_pylist())]
            texts = score_chunk(shared.value, good, top_k, as_csv)
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
