"""Batch scoring: profiles (or teams) streamed from a file in chunks, results written as JSON Lines or CSV.

Memory stays flat however long the input is: one chunk is held at a time, and the output goes to a
temporary file beside the target that replaces it only when the run is complete.
"""
from __future__ import annotations

import csv
import io
import json
import os
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

from .engine import Result, check_top_k, recommend_many
from .errors import MatcherInputError, Problem
from .explain import render
from .groups import DEFAULT_AGGREGATION, GroupResult, check_aggregation, check_members, recommend_group
from .model import MatchModel
from .records import open_records
from .schema import Profile, parse_profile

CHUNK = 256
CSV_COLUMNS = ("profile_id", "rank", "offer_id", "score", "reasons", "title", "role", "role_confidence", "fields")
GROUP_CSV_COLUMNS = ("group_id", "rank", "offer_id", "score", "reasons", "members", "title")


def result_to_dict(result: Result) -> dict:
    """The batch output record of one profile (shared/DESIGN.md)."""
    return {
        "profile_id": result.profile_id,
        "interpreted": {k: v for k, v in result.interpreted.to_dict().items() if k in ("role", "role_confidence",
                                                                                     "fields", "roles")},
        "recommendations": [{"offer_id": r.offer_id, "rank": r.rank, "score": r.score,
                             "reasons": [render(x) for x in r.reasons]} for r in result.recommendations],
    }


def group_result_to_dict(result: GroupResult) -> dict:
    """The batch output record of one team: per offer the team reasons and the members it serves."""
    return {
        "group_id": result.group_id,
        "members": [{"member_id": mid, "role": it.role, "role_confidence": it.role_confidence,
                     "fields": list(it.fields)} for mid, it in result.members],
        "recommendations": [{
            "offer_id": r.offer_id, "rank": r.rank, "score": r.score, "reasons": [render(x) for x in r.reasons],
            "members": list(r.served),
            "member_reasons": {m.member_id: [render(x) for x in m.reasons] for m in r.members if m.may_attend},
        } for r in result.recommendations],
    }


def safe_cell(value):
    """A CSV cell that spreadsheet programs do not run as a formula (=, +, -, @ at the start); numbers stay."""
    if isinstance(value, (int, float)):
        return value
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def read_profiles(path: str | Path) -> Iterator[tuple[int, Profile | None, list[Problem]]]:
    """(line, profile, []) per good profile and (line, None, problems) per bad one.

    File-level problems raise MatcherInputError at the call, before any record is read.
    """
    _, records = open_records(path)
    return _parse(records, lambda raw, line: parse_profile(raw, (line,)))


def read_teams(path: str | Path) -> Iterator[tuple[int, tuple | None, list[Problem]]]:
    """(line, (team id, members), []) per good team of a JSONL file {"id", "members": [profile, ...]}."""
    _, records = open_records(path)
    return _parse(records, _parse_team)


def _parse_team(raw: dict, line: int):
    members = raw.get("members")
    if not isinstance(members, list):
        raise MatcherInputError([Problem((line, "members"), "members must be a list of profiles", "wrong_type")])
    problems, profiles = [], []
    for i, member in enumerate(members):
        try:
            profiles.append(parse_profile(member, (line, "members", i)))
        except MatcherInputError as exc:
            problems.extend(exc.problems)
    try:
        check_members(profiles if not problems else members)
    except MatcherInputError as exc:
        problems.extend(replace(p, loc=(line, *p.loc)) for p in exc.problems)
    if problems:
        raise MatcherInputError(problems)
    team_id = raw.get("id")
    if team_id is not None and (isinstance(team_id, bool) or not isinstance(team_id, (str, int))):
        raise MatcherInputError([Problem((line, "id"), f"id must be text, got {team_id!r}", "wrong_type")])
    return (str(team_id) if team_id is not None else f"line-{line}", profiles)


def _parse(records, parse: Callable):
    for line, raw, problem in records:
        if problem:
            yield line, None, [problem]
            continue
        try:
            yield line, parse(raw, line), []
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


def is_csv(path: str | Path) -> bool:
    return Path(path).suffix.lower() in (".csv", ".tsv")


@contextmanager
def atomic_output(out_path: str | Path, columns: tuple[str, ...]):
    """(file, csv writer or None): JSON Lines, or for .csv semicolon-separated UTF-8 with BOM as Excel reads it.

    The target is replaced only when the block completes; on any error it is left as it was.
    """
    out_path = Path(out_path)
    as_csv = is_csv(out_path)
    try:
        if out_path.is_dir():
            raise IsADirectoryError(21, "is a directory")
        out_path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{out_path.name}.", dir=out_path.parent)
    except OSError as exc:
        raise MatcherInputError([Problem(("out",), f"cannot write {str(out_path)!r}: {exc.strerror}",
                                         "unwritable")]) from None
    os.chmod(tmp, 0o644)  # mkstemp makes files only their owner may read
    try:
        with os.fdopen(fd, "w", encoding="utf-8-sig" if as_csv else "utf-8", newline="") as out:
            writer = csv.writer(out, delimiter=";") if as_csv else None
            if writer:
                writer.writerow(columns)
            yield out, writer
        os.replace(tmp, out_path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def run_chunks(records, out_path, columns, handle_chunk, on_problem, progress) -> dict:
    from tqdm import tqdm

    counts = {"records": 0, "bad": 0}
    progress = sys.stderr.isatty() if progress is None else progress
    with atomic_output(out_path, columns) as (out, writer), \
            tqdm(unit=" records", disable=not progress, file=sys.stderr) as bar:
        for chunk in _chunks(records, CHUNK):
            good = []
            for line, item, problems in chunk:
                if problems:
                    counts["bad"] += 1
                    for p in problems:
                        on_problem(p)
                else:
                    good.append((line, item))
            handle_chunk(good, out, writer)
            counts["records"] += len(good)
            bar.update(len(chunk))
    return counts


def score_file(model: MatchModel, profiles_path: str | Path, out_path: str | Path, *, top_k: int = 10,
               on_problem: Callable[[Problem], None] = lambda p: None, progress: bool | None = None) -> dict:
    """Score every good profile of a file; returns counts {"records": n, "bad": m}."""
    top_k = check_top_k(top_k)
    records = read_profiles(profiles_path)  # file-level problems raise here, before the output is touched

    def handle(good, out, writer):
        for text in score_chunk(model, good, top_k, as_csv=writer is not None):
            out.write(text)

    return run_chunks(records, out_path, CSV_COLUMNS, handle, on_problem, progress)


def score_chunk(model: MatchModel, good: list[tuple[int, Profile]], top_k: int, as_csv: bool) -> list[str]:
    """Each (line, profile)'s output as it goes into the file: a JSON line, or its CSV rows.

    Shared by the local and the Spark engine, so both write the same bytes. A profile without an id is
    named after its line.
    """
    profiles = [p if p.id else replace(p, id=f"line-{line}") for line, p in good]
    texts = []
    for result in recommend_many(model, profiles, top_k):
        if not as_csv:
            texts.append(json.dumps(result_to_dict(result), ensure_ascii=False) + "\n")
            continue
        buffer, it = io.StringIO(), result.interpreted
        writer = csv.writer(buffer, delimiter=";")
        for r in result.recommendations:
            writer.writerow([safe_cell(result.profile_id), r.rank, safe_cell(r.offer_id), r.score,
                             safe_cell(" | ".join(render(x) for x in r.reasons)), safe_cell(r.offer.title),
                             it.role or "", it.role_confidence, "|".join(it.fields)])
        texts.append(buffer.getvalue())
    return texts


def group_file(model: MatchModel, teams_path: str | Path, out_path: str | Path, *, top_k: int = 10,
               aggregation: str = DEFAULT_AGGREGATION, on_problem: Callable[[Problem], None] = lambda p: None,
               progress: bool | None = None) -> dict:
    """Recommend for every good team of a JSONL file; returns counts {"records": n, "bad": m}."""
    top_k, aggregation = check_top_k(top_k), check_aggregation(aggregation)
    records = read_teams(teams_path)

    def handle(good, out, writer):
        for _, (team_id, members) in good:
            result = recommend_group(model, members, top_k, aggregation, group_id=team_id)
            if writer is None:
                out.write(json.dumps(group_result_to_dict(result), ensure_ascii=False) + "\n")
                continue
            for r in result.recommendations:
                writer.writerow([safe_cell(team_id), r.rank, safe_cell(r.offer_id), r.score,
                                 safe_cell(" | ".join(render(x) for x in r.reasons)), safe_cell("|".join(r.served)),
                                 safe_cell(r.offer.title)])

    return run_chunks(records, out_path, GROUP_CSV_COLUMNS, handle, on_problem, progress)
