"""Does the stand-in encoder leave a nearest-neighbour graph as much to find as the real encoder does?

scale.py measures the first stage at 100,000 and 1,000,000 offers with a stand-in encoder (benchmarks/standin.py),
since the real one would take days to embed them. Its figures for the graph (how much of the full scorer's top 10
the first stage finds) are only as good as the stand-in's geometry. Here the same synthetic offers and profiles are
embedded by the real encoder and by both stand-ins (the first one, a random vector per text; the shipped one, built
from the text's words), and a graph built small and searched narrow, so that a few thousand offers strain it as a
large catalog strains the shipped graph, is asked for each profile's nearest offers: recall against the exact
product. A stand-in whose recall is below the real encoder's makes scale.py's graph figures pessimistic.

    python benchmarks/standin_check.py [--offers 3500] [--profiles 300] [--cache FILE.npz]
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
# this folder last, not first: its http.py must not shadow the standard library's (usearch and httpx import it)
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE] + [str(HERE), str(HERE.parent)]

import synthetic  # noqa: E402
from baselines import query_text  # noqa: E402 (what the engine's encoder reads of a person)
from labeled import write_results  # noqa: E402

from benchmarks.standin import StandInEncoder, hashed_direction  # noqa: E402
from matcher import limits, parse_profile  # noqa: E402
from matcher.io import read_catalog  # noqa: E402

STRAINED = {"connectivity": 8, "expansion_add": 32}  # a small graph: a few thousand offers strain it
SEARCHES = (16, 64)  # expansion_search
KS = (10, 100)


def random_per_text(texts: list[str]) -> np.ndarray:
    """The first stand-in: a random unit vector per text, seeded by its hash (no two texts nearer than chance)."""
    rows = np.array([hashed_direction(t) for t in texts])
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def texts(n_offers: int, n_profiles: int, work: Path) -> tuple[list[str], list[str]]:
    """The passages of the first offers of the 10,000-offer synthetic catalog and the queries of synthetic profiles,
    as the engine builds them."""
    offers, problems = read_catalog(synthetic.write_jsonl(work / "catalog.jsonl", synthetic.catalog(10_000)[:n_offers]))
    if problems:
        raise ValueError(problems[:3])
    people = [parse_profile(p) for p in synthetic.profiles(n_profiles)]
    return [o.passage for o in offers], [query_text(p) for p in people]


def real(passages: list[str], queries: list[str], cache: Path | None) -> tuple[np.ndarray, np.ndarray]:
    if cache is not None and cache.exists():
        kept = np.load(cache)
        if len(kept["passages"]) >= len(passages) and len(kept["queries"]) >= len(queries):
            return kept["passages"][:len(passages)], kept["queries"][:len(queries)]
    from matcher.text import default_encoder
    encoder = default_encoder()
    t = time.perf_counter()
    embedded = (np.asarray(encoder.encode_passages(passages), dtype=np.float32),
                np.asarray(encoder.encode_queries(queries), dtype=np.float32))
    print(f"real encoder: {len(passages)} passages and {len(queries)} queries in {time.perf_counter() - t:.0f} s")
    if cache is not None:
        np.savez(cache, passages=embedded[0], queries=embedded[1])
    return embedded


def recall(offers: np.ndarray, queries: np.ndarray, expansion_search: int, k: int) -> float:
    from usearch.index import Index
    graph = Index(ndim=offers.shape[1], metric="ip", dtype="f16", expansion_search=expansion_search, **STRAINED)
    graph.add(np.arange(len(offers)), offers, threads=1)
    exact = np.argsort(-(queries @ offers.T), axis=1, kind="stable")[:, :k]
    found = [set(graph.search(q, k, threads=1).keys.tolist()) for q in queries]
    return float(np.mean([len(f & set(e.tolist())) / k for f, e in zip(found, exact)]))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--offers", type=int, default=3500)
    parser.add_argument("--profiles", type=int, default=300)
    parser.add_argument("--cache", type=Path, help="keeps the real encoder's embeddings (an .npz) between runs")
    args = parser.parse_args()
    limits.one_blas_thread()
    with tempfile.TemporaryDirectory() as tmp:
        passages, queries = texts(args.offers, args.profiles, Path(tmp))
    encoders = {"real encoder (multilingual-e5-small)": real(passages, queries, args.cache),
                "first stand-in (a random vector per text)": (random_per_text(passages), random_per_text(queries)),
                "stand-in shipped (from the text's words)": (StandInEncoder().encode_passages(passages),
                                                             StandInEncoder().encode_queries(queries))}
    header = [f"recall@{k}, ef {ef}" for ef in SEARCHES for k in KS]
    lines = [f"{args.offers} offers of the synthetic catalog, {args.profiles} synthetic profiles; an HNSW graph "
             f"(usearch, float16, M {STRAINED['connectivity']}, ef_construction {STRAINED['expansion_add']}) searched "
             "with the ef given (at least k); recall: the share of the exact product's k nearest offers the graph "
             "returns.", "",
             "| embeddings | " + " | ".join(header) + " |", "|---" * (len(header) + 1) + "|"]
    for name, (offers, people) in encoders.items():
        lines.append(f"| {name} | " + " | ".join(f"{recall(offers, people, ef, k):.3f}" for ef in SEARCHES for k in KS)
                     + " |")
    write_results("results_standin.md", "Stand-in encoder against the real one: what a graph finds", "standin_check.py",
                  "\n".join(lines))


if __name__ == "__main__":
    main()
