"""Batch scoring on Apache Spark, for profile sets too large for one machine's patience.

The driver reads and checks the profiles exactly as the local scorer does (same problems, same line numbers)
and stages the good ones; the model is broadcast to the executors once; executors score Arrow record batches
with the same code as the local scorer; the driver writes the results in input order into the same atomic
output. So `--engine spark` and `--engine local` write the same file.

Needs the optional extra `spark` (pyspark, pyarrow) and Java 17 or newer.
"""
from __future__ import annotations

import json
import os
import sys
import tempfile
import warnings
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

from .batch import CHUNK, CSV_COLUMNS, atomic_output, is_csv, read_profiles, score_chunk
from .engine import check_top_k
from .errors import MatcherInputError, Problem
from .model import MatchModel
from .schema import Profile

DEFAULT_MASTER = "local[*]"


def _profile_json(profile: Profile) -> str:
    return json.dumps(asdict(profile), ensure_ascii=False)


def _profile(text: str) -> Profile:
    values = json.loads(text)
    return Profile(**{**values, "fields": tuple(values["fields"])})


def session(master: str):
    """A Spark session; local workers run this Python, so they import the same matcher."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise MatcherInputError([Problem(("engine",), "the Spark engine needs the optional extra: "
                                         "pip install 'kommune-matcher[spark]'", "missing_dependency")]) from None
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    # pyspark 4 warns about pandas 3; the engine exchanges Arrow batches and never uses pandas itself
    warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas", category=FutureWarning)
    try:
        spark = (SparkSession.builder.master(master).appName("kommune-matcher score")
                 .config("spark.ui.enabled", "false").config("spark.ui.showConsoleProgress", "false")
                 .config("spark.sql.execution.arrow.maxRecordsPerBatch", str(CHUNK))
                 .getOrCreate())
    except Exception as exc:  # the JVM did not start: no Java, or a master that cannot be reached
        raise MatcherInputError([Problem(("engine",), f"Spark could not start at {master!r} (Java 17 or newer "
                                         f"installed?): {str(exc).splitlines()[0]}", "engine_unavailable")]) from None
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def score_file_spark(model: MatchModel, profiles_path: str | Path, out_path: str | Path, *, top_k: int = 10,
                     on_problem: Callable[[Problem], None] = lambda p: None, master: str = DEFAULT_MASTER) -> dict:
    """Score every good profile of a file on Spark; returns counts {"records": n, "bad": m} like score_file."""
    top_k, as_csv = check_top_k(top_k), is_csv(out_path)
    records = read_profiles(profiles_path)  # file-level problems raise here, before Spark or the output
    counts = {"records": 0, "bad": 0}
    with tempfile.TemporaryDirectory(prefix="kommune-matcher-spark-") as tmp:
        staged = Path(tmp) / "profiles.jsonl"
        with staged.open("w", encoding="utf-8") as f:
            for line, profile, problems in records:
                for p in problems:
                    on_problem(p)
                counts["bad"] += bool(problems)
                if profile is not None:
                    f.write(json.dumps({"line": line, "profile": _profile_json(profile)}, ensure_ascii=False) + "\n")
                    counts["records"] += 1
        with atomic_output(out_path, CSV_COLUMNS) as (out, _):
            if counts["records"]:
                spark = session(master)
                try:
                    for text in _scored(spark, model, staged, top_k, as_csv):
                        out.write(text)
                except Exception as exc:  # a failed job, not bad data: say so, leave the output as it was
                    if not type(exc).__module__.startswith(("pyspark", "py4j")):
                        raise
                    raise MatcherInputError([Problem(("engine",), "the Spark job failed: "
                                                     f"{str(exc).strip().splitlines()[0]}", "engine_failed")]) from exc
    return counts


def _scored(spark, model: MatchModel, staged: Path, top_k: int, as_csv: bool):
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
    profiles = (spark.read.schema("line LONG, profile STRING").json(str(staged))
                .repartition(spark.sparkContext.defaultParallelism))
    # kept once scored: sorting samples its input first, which would otherwise score every profile twice
    scored = profiles.mapInArrow(score_batches, "line LONG, text STRING").persist(StorageLevel.MEMORY_AND_DISK)
    try:
        for row in scored.orderBy("line").toLocalIterator():
            yield row.text
    finally:
        scored.unpersist()
        shared.unpersist()
