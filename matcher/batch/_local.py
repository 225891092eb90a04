"""The jobs on files, run on this machine: train a model from a catalog file; score files of profiles (or teams)
in chunks, results written as JSON Lines, CSV or Excel.

Memory stays flat however long the input is: one chunk is held at a time, and the output goes to a
temporary file beside the target that replaces it only when the run is complete.
"""
from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from ..core import MatcherInputError, Problem, Profile, check_top_k
from ..io import (atomic_output, file_sha256, group_result_to_dict, read_catalog, read_profiles, read_teams,
                  result_to_dict, safe_cell)
from ..model import MatchModel, fit_model, read_encodings, save
from ..ranking import DEFAULT_FIRST_STAGE, FirstStage, recommend_many, render
from ..teams import DEFAULT_AGGREGATION, check_aggregation, recommend_group

CHUNK = 256
CSV_COLUMNS = ("profile_id", "rank", "offer_id", "score", "reasons", "title", "role", "role_confidence", "fields")
GROUP_CSV_COLUMNS = ("group_id", "rank", "offer_id", "score", "reasons", "members", "title")


@dataclass(frozen=True)
class TrainSummary:
    """What `train` did: the model written, the offers it learned from, the bad records skipped, and how many
    offers the sentence encoder read afresh or reused from the model it replaced (0 and 0 without an encoder)."""

    model_dir: Path
    offers: int
    problems: tuple[Problem, ...]
    semantic: bool
    encoded: int
    reused: int
    catalog_sha256: str


def train(catalog: str | Path, model_dir: str | Path, *, sheet: str | None = None, **fit_options) -> TrainSummary:
    """Fit a model on a catalog file (JSON Lines, CSV or Excel: `sheet`, else its first visible sheet) and save it
    atomically into `model_dir`, with its model card and the catalog's hash.

    Bad records are skipped and listed in the summary; only changed offers are encoded again (the embeddings of
    the model being replaced are reused). Raises MatcherInputError for a file that cannot be read at all, and when
    no record is good (then its problems end with one of type "no_offers", and nothing is written).
    fit_options go to fit_model (encoder, weights, role_classifier).
    """
    offers, problems = read_catalog(catalog, sheet=sheet)
    if not offers:
        raise MatcherInputError([*problems, Problem((), "no valid offers to train on; nothing was written",
                                                    "no_offers")])
    sha256 = file_sha256(catalog)
    model = fit_model(offers, encodings=read_encodings(model_dir), **fit_options)
    save(model, model_dir, catalog_sha256=sha256)
    done = model.card.get("encoding") or {"encoded": 0, "reused": 0}
    return TrainSummary(Path(model_dir), len(offers), tuple(problems), model.semantic, done["encoded"],
                        done["reused"], sha256)


def _chunks(items, size):
    chunk = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


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
               on_problem: Callable[[Problem], None] = lambda p: None, progress: bool | None = None,
               sheet: str | None = None, first_stage: FirstStage | None = DEFAULT_FIRST_STAGE) -> dict:
    """Score every good profile of a file (JSON Lines, CSV or Excel: `sheet`, else its first visible sheet) into
    .jsonl, .csv or .xlsx; returns counts {"records": n, "bad": m}. first_stage: as recommend_many takes it."""
    top_k = check_top_k(top_k)
    records = read_profiles(profiles_path, sheet=sheet)  # file-level problems raise here, before the output is touched

    def handle(good, out, writer):
        for text in score_chunk(model, good, top_k, as_csv=writer is not None, first_stage=first_stage):
            out.write(text)

    return run_chunks(records, out_path, CSV_COLUMNS, handle, on_problem, progress)


def score_chunk(model: MatchModel, good: list[tuple[int, Profile]], top_k: int, as_csv: bool,
                first_stage: FirstStage | None = DEFAULT_FIRST_STAGE) -> list[str]:
    """Each (line, profile)'s output as it goes into the file: a JSON line, or its CSV rows.

    Shared by the local and the Spark engine, so both write the same bytes. A profile without an id is
    named after its line.
    """
    profiles = [p if p.id else replace(p, id=f"line-{line}") for line, p in good]
    texts = []
    for result in recommend_many(model, profiles, top_k, first_stage=first_stage):
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
               progress: bool | None = None, sheet: str | None = None) -> dict:
    """Recommend for every good team of a file (JSONL, or a CSV or Excel table of one member per row); returns
    counts {"records": n, "bad": m}."""
    top_k, aggregation = check_top_k(top_k), check_aggregation(aggregation)
    records = read_teams(teams_path, sheet=sheet)

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
