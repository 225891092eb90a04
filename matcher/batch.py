"""Batch scoring: profiles streamed from a file in chunks, results written as JSON Lines or CSV.

Memory stays flat however long the input is: one chunk of profiles is held at a time, and the output
goes to a temporary file beside the target that replaces it only when the run is complete.
"""
from __future__ import annotations

import csv
import json
import os
import sys
import tempfile
from dataclasses import replace
from collections.abc import Callable, Iterator
from pathlib import Path

from .engine import Result, check_top_k, recommend_many
from .errors import MatcherInputError, Problem
from .explain import render
from .model import MatchModel
from .records import open_records
from .schema import Profile, parse_profile

CHUNK = 256
CSV_COLUMNS = ("profile_id", "rank", "offer_id", "score", "reasons", "title", "role", "role_confidence", "fields")


def result_to_dict(result: Result) -> dict:
    """The batch output record of one profile (shared/DESIGN.md)."""
    return {
        "profile_id": result.profile_id,
        "interpreted": {k: v for k, v in result.interpreted.to_dict().items() if k in ("role", "role_confidence",
                                                                                     "fields")},
        "recommendations": [{"offer_id": r.offer_id, "rank": r.rank, "score": r.score,
                             "reasons": [render(x) for x in r.reasons]} for r in result.recommendations],
    }


def safe_cell(value) -> str:
    """A CSV cell that spreadsheet programs do not run as a formula (=, +, -, @ at the start)."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def read_profiles(path: str | Path) -> Iterator[tuple[int, Profile | None, list[Problem]]]:
    """(line, profile, []) per good profile and (line, None, problems) per bad one.

    File-level problems raise MatcherInputError at the call, before any record is read.
    """
    _, records = open_records(path)
    return _parse_profiles(records)


def _parse_profiles(records):
    for line, raw, problem in records:
        if problem:
            yield line, None, [problem]
            continue
        try:
            yield line, parse_profile(raw, (line,)), []
        except MatcherInputError as exc:
            yield line, None, list(exc.problems)


def _chunks(items, size):
    chunk = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def score_file(model: MatchModel, profiles_path: str | Path, out_path: str | Path, *, top_k: int = 10,
               on_problem: Callable[[Problem], None] = lambda p: None, progress: bool | None = None) -> dict:
    """Score every good profile of a file; returns counts {"profiles": n, "bad": m}."""
    from tqdm import tqdm

    top_k = check_top_k(top_k)
    out_path = Path(out_path)
    as_csv = out_path.suffix.lower() in (".csv", ".tsv")
    records = read_profiles(profiles_path)  # file-level problems raise here, before the output is touched
    progress = sys.stderr.isatty() if progress is None else progress
    counts = {"profiles": 0, "bad": 0}
    out_path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{out_path.name}.", dir=out_path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8-sig" if as_csv else "utf-8", newline="") as out, \
                tqdm(unit=" Profile", disable=not progress, file=sys.stderr) as bar:
            writer = csv.writer(out, delimiter=";") if as_csv else None
            if writer:
                writer.writerow(CSV_COLUMNS)
            for chunk in _chunks(records, CHUNK):
                good = []
                for line, profile, problems in chunk:
                    if problems:
                        counts["bad"] += 1
                        for p in problems:
                            on_problem(p)
                    else:
                        good.append(profile if profile.id else _with_line_id(profile, line))
                for result in recommend_many(model, good, top_k):
                    _write(out, writer, result)
                counts["profiles"] += len(good)
                bar.update(len(chunk))
        os.replace(tmp, out_path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return counts


def _with_line_id(profile: Profile, line: int) -> Profile:
    return replace(profile, id=f"line-{line}")


def _write(out, writer, result: Result) -> None:
    record = result_to_dict(result)
    if writer is None:
        out.write(json.dumps(record, ensure_ascii=False) + "\n")
        return
    interpreted = record["interpreted"]
    for rec, full in zip(record["recommendations"], result.recommendations):
        writer.writerow([safe_cell(record["profile_id"]), rec["rank"], safe_cell(rec["offer_id"]), rec["score"],
                         safe_cell(" | ".join(rec["reasons"])), safe_cell(full.offer.title),
                         interpreted["role"] or "", interpreted["role_confidence"], "|".join(interpreted["fields"])])
