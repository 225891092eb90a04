"""The first stage's quality on the three labeled collections (issue 23): recall of the candidates (the share of the
judged-relevant offers a person may be shown that reach them) and NDCG@10 with the first stage and without it (the
full scorer), paired over the same profiles, at several N, by exact search and forced through the HNSW graphs, and
with the z-scores taken three ways. Writes its section of benchmarks/results.md.

The catalogs hold 169 to 350 offers, fewer than the engine's full_below, so every figure here forces the first stage
(full_below=0); N is per retriever and per partition, so a person of a state gets up to 4 N candidates.

    python benchmarks/first_stage.py
"""
from __future__ import annotations

import re
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
import urllib.request  # noqa: E402,F401  the standard library's http first: benchmarks/http.py shadows it, usearch reads it
sys.path.insert(0, str(_HERE))

from evaluate import K, load_benches  # noqa: E402
from labeled import COLLECTIONS, HERE  # noqa: E402

from matcher.model import DEFAULT_WEIGHTS, TEXT_SIGNALS, build_region_index  # noqa: E402
from matcher.ranking import (DEFAULT_FIRST_STAGE, FirstStage, ndcg_at_k, rank, score_candidates,  # noqa: E402
                             spread_of)

SIZES = (10, 25, 50, 100, DEFAULT_FIRST_STAGE.candidates)
SMALL_SAMPLE = 64  # offers: z-scores from a sample as much smaller than these catalogs as 2,048 is than 100,000
BEGIN, END = "<!-- first stage: benchmarks/first_stage.py -->", "<!-- end first stage -->"


def with_sample(model, size: int):
    """The model with its z-score sample cut to `size` offers (a fixed random choice, as the engine takes it)."""
    model = replace(model)
    sample = np.sort(np.random.default_rng(0).choice(len(model.offers), size, replace=False))
    model.__dict__.update(sample=sample, sample_char_columns=model.char_matrix[sample].T.tocsr(),
                          sample_embeddings=np.ascontiguousarray(model.embeddings[sample]))
    return model


def by_graph(model):
    return replace(model, region_index=build_region_index(model.regions, model.embeddings, ann_above=0))


def over_candidates(person):
    """The person with z-scores taken over their candidates instead of the eligible offers."""
    ones = np.ones(len(person.positions), dtype=bool)
    return replace(person, spreads={n: spread_of(person.raw[n], ones) for n in TEXT_SIGNALS})


def run(bench, model, n: int, spreads=None) -> dict:
    """Recall of the candidates and NDCG@10 of the ranking on them, over the judged profiles."""
    stage = FirstStage(candidates=n, full_below=0)
    people = score_candidates(model, bench.profiles, bench.today, stage)
    recall, ndcg, sizes = [], [], []
    for i in bench.judged():
        person = people[i] if spreads is None else spreads(people[i])
        grades = bench.grades[bench.profiles[i].id]
        ids = model.offer_ids
        eligible = {ids[j] for j in np.flatnonzero(bench.masks[i])}
        relevant = {o for o, g in grades.items() if g > 0 and o in eligible}
        found = {ids[j] for j in person.positions} if person.positions is not None else eligible
        if relevant:
            recall.append(len(relevant & found) / len(relevant))
        sizes.append(len(found))
        chosen = rank(model, person, K, bench.today, DEFAULT_WEIGHTS).chosen
        ndcg.append(ndcg_at_k([ids[j] for j in chosen], grades, K))
    return {"recall": np.mean(recall), "ndcg": np.mean(ndcg), "candidates": np.mean(sizes)}


def main() -> None:
    started = time.time()
    benches = load_benches(COLLECTIONS)
    rows, spread_rows = [], []
    for name, bench in benches.items():
        full = float(np.mean(bench.per_profile(bench.engine(DEFAULT_WEIGHTS))))
        graphs = by_graph(bench.model)
        for n in SIZES:
            exact, ann = run(bench, bench.model, n), run(bench, graphs, n)
            rows.append([name, len(bench.offers), n, f"{exact['candidates']:.0f}", f"{exact['recall']:.3f}",
                         f"{ann['recall']:.3f}", f"{full:.3f}", f"{exact['ndcg']:.3f}", f"{exact['ndcg'] - full:+.3f}",
                         f"{ann['ndcg'] - full:+.3f}"])
        for n in (25, 50):
            sample = run(bench, with_sample(bench.model, SMALL_SAMPLE), n)
            candidates_only = run(bench, bench.model, n, over_candidates)
            exact = run(bench, bench.model, n)
            spread_rows.append([name, n, f"{full:.3f}", f"{exact['ndcg'] - full:+.3f}", f"{sample['ndcg'] - full:+.3f}",
                                f"{candidates_only['ndcg'] - full:+.3f}"])
    text = "\n".join([
        BEGIN, "## First stage: candidates first, the blend on them (issue 23)", "",
        "Written by `python benchmarks/first_stage.py`. Shipped weights (DEFAULT_WEIGHTS); the first stage forced "
        "(full_below=0) since these catalogs are small. Recall: share of the judged-relevant offers (grade >= 1) a "
        "person may be shown (region, expiry) that reach the candidates. Candidates: mean per profile (N per retriever "
        "and per partition: a person of a state gets up to 4 N). 'graph': every partition searched through an HNSW "
        f"graph (usearch, float16) instead of exactly. Shipped N: {DEFAULT_FIRST_STAGE.candidates}, applied above "
        f"{DEFAULT_FIRST_STAGE.full_below:,} offers.", "",
        "| collection | offers | N | candidates | recall, exact | recall, graph | NDCG@10 full scorer | NDCG@10 first "
        "stage | difference, exact | difference, graph |",
        "|" + "---|" * 10,
        *["| " + " | ".join(map(str, r)) + " |" for r in rows], "",
        "How the z-scores are taken, NDCG@10 difference to the full scorer: over the eligible offers of the sample "
        f"(the engine: here the sample is the catalog), of a sample of {SMALL_SAMPLE} offers only, or over the "
        "candidates.", "",
        "| collection | N | NDCG@10 full scorer | sample = catalog | sample of 64 | over the candidates |",
        "|" + "---|" * 6, *["| " + " | ".join(map(str, r)) + " |" for r in spread_rows], "",
        f"Run took {time.time() - started:.0f} s.", END])
    print(text)
    path = HERE / "results.md"
    current = path.read_text(encoding="utf-8")
    kept = re.sub(re.escape(BEGIN) + r".*?" + re.escape(END) + r"\n?", "", current, flags=re.S).rstrip("\n")
    path.write_text(kept + "\n\n" + text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
