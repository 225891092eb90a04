"""Ranking quality that transfers: leave-one-catalog-out on two labeled collections written apart.

Everything the engine learns from judgments (the blend weights, the diversification setting and the score
calibration) is fitted on one collection's labels and measured on the other's, both directions. Beside it, on the
same held-out profiles and under the same hard rules: the encoder alone, BM25, TF-IDF word + char, and TF-IDF
handed the true role and the given fields. Then an ablation on the held-out catalog (every variant refitted on the
other one), in-sample figures labeled as such, and role and field inference. Writes benchmarks/results.md.

    python benchmarks/quality.py
"""
from __future__ import annotations

import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from baselines import (BM25Ranker, EncoderRanker, RandomRanker, RoleGivenTfidfRanker, TfidfRanker,  # noqa: E402
                       query_text)
from evaluate import cross_validate, fit_engine, load_benches  # noqa: E402
from labeled import COLLECTIONS, HELDOUT_TITLES, write_results  # noqa: E402

from matcher.ranking import interpret_many  # noqa: E402
from matcher.model import DEFAULT_WEIGHTS, SIGNALS  # noqa: E402
from matcher.model import evaluate_roles, read_labeled_titles  # noqa: E402

ENGINE = "kommune-matcher"
ENCODER = EncoderRanker.name
MAIN_SUBSETS = ("all", "planning", "frontline", "long needs", "short needs", "no fields given")
SEGMENTS = ("planning, short", "frontline, short", "planning, long", "frontline, long")


def table(title: str, header: list[str], rows: list[list]) -> str:
    def cell(v):
        return f"{v:.3f}" if isinstance(v, float) else str(v)
    lines = [f"### {title}", "", "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def metric_rows(bench, systems: dict[str, dict], subsets, judged_share: bool = False) -> list[list]:
    rows = []
    for name, ranked in systems.items():
        every = bench.metrics(ranked)
        rows.append([name, *[bench.metrics(ranked, bench.subsets()[s])["ndcg@10"] for s in subsets],
                     every["recall@10"], every["mrr"], *([judged(bench, ranked)] if judged_share else [])])
    return rows


def judged(bench, ranked) -> float:
    """Share of the listed offers that a judge graded (read in full or pooled): unjudged ones count as 0."""
    listed = [(p, o) for p, ids in ranked.items() for o in ids]
    return sum(o in bench.grades.get(p, {}) for p, o in listed) / max(1, len(listed))


def baselines(bench) -> dict[str, dict]:
    """Every baseline's top 10 on this collection."""
    profiles = bench.profiles
    rankers = [EncoderRanker(bench.offers, bench.model.encoder), BM25Ranker(bench.offers), TfidfRanker(bench.offers),
               RoleGivenTfidfRanker(bench.offers, bench.gold_roles())]
    return {r.name: bench.from_scores(r.scores(profiles)) for r in rankers}


RRF_K = 60  # Cormack et al. 2009


def fused(bench, names=SIGNALS, k: int = RRF_K) -> dict[str, list[str]]:
    """Reciprocal rank fusion of the engine's own signals: the simple rival to a learned blend (nothing fitted;
    tied offers share their average rank, so a yes/no signal such as role fit counts as two ranks)."""
    from scipy.stats import rankdata
    scores = np.zeros((len(bench.profiles), len(bench.offers)))
    for i, row in enumerate(bench.rows):
        for name in names:
            if np.ptp(row[name]) > 0:
                scores[i] += 1.0 / (k + rankdata(-row[name], method="average"))
    return bench.from_scores(scores)


def held_out_systems(train, test) -> dict[str, dict]:
    """Every system's top 10 on `test`: the engine with what it learns fitted on `train`, the baselines, fusion."""
    return {ENGINE: test.engine(fit_engine(train, DEFAULT_WEIGHTS, list(SIGNALS))), **baselines(test),
            "reciprocal rank fusion of the engine's signals": fused(test)}


def random_row(bench, subsets) -> list:
    runs = [metric_rows(bench, {"random": bench.from_scores(RandomRanker(bench.offers, s).scores(bench.profiles))},
                        subsets)[0][1:] for s in range(5)]
    return ["random (mean of 5 seeds)", *np.mean(runs, axis=0).tolist()]


def ratios(rows: list[list], subsets) -> str:
    """The targets' ratios on the held-out collection, from a table's rows."""
    by = {r[0]: dict(zip((*subsets, "recall@10", "mrr"), r[1:])) for r in rows}
    ours = by[ENGINE]
    lexical = max(by["BM25 (bm25s, Snowball)"]["all"], by["TF-IDF word + char"]["all"])
    role_given = by["TF-IDF given the true role and fields"]
    best_recall = max(v["recall@10"] for k, v in by.items() if k != ENGINE and not k.startswith("random"))
    return (f"NDCG@10 ratios: {ours['all'] / by[ENCODER]['all']:.2f} x the encoder alone (target 1.1), "
            f"{ours['all'] / role_given['all']:.2f} x TF-IDF given the true role (target 1.1), "
            f"{ours['all'] / lexical:.2f} x the best of BM25 and TF-IDF (target 1.3); long needs "
            f"{ours['long needs'] / by[ENCODER]['long needs']:.2f} x the encoder alone (target 1.1); recall@10 "
            f"{ours['recall@10']:.3f} vs the best baseline's {best_recall:.3f}.")


def ablation(train, test, start) -> list[list]:
    """Each signal over the encoder alone and each signal taken from the full blend, every variant refitted on
    the training collection."""
    variants = {"semantic only (the engine's encoder signal)": ["semantic"]}
    variants |= {f"semantic + {s}": ["semantic", s] for s in SIGNALS if s != "semantic"}
    variants |= {f"full blend without {s}": [n for n in SIGNALS if n != s] for s in SIGNALS}
    variants["full blend"] = list(SIGNALS)
    rows = []
    for name, names in variants.items():
        off = {s: 0.0 for s in SIGNALS if s not in names}
        weights = fit_engine(train, replace(start, **off), names)
        ranked = test.engine(weights)
        m, sub = test.metrics(ranked), test.subsets()
        rows.append([name, m["ndcg@10"], test.metrics(ranked, sub["planning"])["ndcg@10"],
                     test.metrics(ranked, sub["frontline"])["ndcg@10"],
                     test.metrics(ranked, sub["long needs"])["ndcg@10"], m["recall@10"], m["mrr"]])
    full = fit_engine(train, start, list(SIGNALS))
    m = test.metrics(test.engine(full, diversified=False))
    rows.append(["full blend, no diversification", m["ndcg@10"], "", "", "", m["recall@10"], m["mrr"]])
    return rows


def role_rows(model, benches) -> list[list]:
    """Role inference on held-out titles (all, and those of elected officials) and on the benchmark profiles."""
    f = evaluate_roles(model.roles, read_labeled_titles(HELDOUT_TITLES))
    rows = [["held-out titles", f["n"], f["top1"], f["coverage"], f["accuracy"], f["roles_exact"]],
            ["held-out titles of elected officials", f["elected_n"], f["elected_top1"], f["elected_coverage"],
             f["elected_accuracy"], f["elected_roles_exact"]]]
    for b in benches.values():
        read = list(zip(b.interpretations, b.raws, b.gold_roles()))
        rows.append([f"profiles of '{b.name}'", len(read), "–",
                     sum(it.role is not None for it, _, _ in read) / len(read),
                     sum(it.role == r["gold_role"] for it, r, _ in read) / len(read),
                     sum(it.roles == gold for it, _, gold in read) / len(read)])
    return rows


def field_rows(benches) -> list[list]:
    rows = []
    for b in benches.values():
        with_fields = [i for i, r in enumerate(b.raws) if r.get("fields")]
        hidden = [replace(b.profiles[i], fields=()) for i in with_fields]
        read = interpret_many(b.model, hidden)
        tp = sum(len(set(it.fields) & set(b.raws[i]["fields"])) for it, i in zip(read, with_fields))
        fp = sum(len(set(it.fields) - set(b.raws[i]["fields"])) for it, i in zip(read, with_fields))
        fn = sum(len(set(b.raws[i]["fields"]) - set(it.fields)) for it, i in zip(read, with_fields))
        prec, rec = tp / max(1, tp + fp), tp / max(1, tp + fn)
        rows.append([b.name, len(with_fields), prec, rec, 2 * prec * rec / max(1e-9, prec + rec)])
    return rows


def main() -> None:
    started = time.time()
    benches = load_benches(COLLECTIONS)
    names = list(benches)
    out = []
    counts = "; ".join(f"'{b.name}': {len(b.offers)} offers, {len(b.judged())} judged profiles "
                       f"({len(b.judged(b.subsets()['planning']))} planning side, "
                       f"{len(b.judged(b.subsets()['long needs']))} long needs)" for b in benches.values())
    out.append(f"Collections: {counts}. Held out means: everything fitted on judgments (blend weights, "
               f"diversification, score calibration) was fitted on the other collection only.\n")
    header = ["system", *[f"NDCG@10 {s}" for s in MAIN_SUBSETS], "recall@10", "MRR", "top 10 judged"]
    seg_rows, ablations = [], []
    for test_name in names:
        train_name = next(n for n in names if n != test_name)
        train, test = benches[train_name], benches[test_name]
        systems = held_out_systems(train, test)
        rows = metric_rows(test, systems, MAIN_SUBSETS, judged_share=True) + [[*random_row(test, MAIN_SUBSETS), "–"]]
        out.append(table(f"Held out: fitted on '{train_name}', measured on '{test_name}'", header, rows))
        out.append(ratios(rows, MAIN_SUBSETS) + "\n")
        for system in (ENGINE, ENCODER):
            seg_rows.append([f"{system} on '{test_name}'",
                             *[test.metrics(systems[system], test.subsets()[s])["ndcg@10"] for s in SEGMENTS],
                             *[test.metrics(systems[system], test.subsets()[s])["n"] for s in SEGMENTS]])
        ablations.append((train_name, test_name, ablation(train, test, DEFAULT_WEIGHTS)))
    out.append(table("Held out: planning side vs frontline, short vs long needs (NDCG@10, then profiles)",
                     ["system", *SEGMENTS, *[f"n {s}" for s in SEGMENTS]], seg_rows))
    for train_name, test_name, rows in ablations:
        out.append(table(f"Held-out ablation on '{test_name}' (every variant fitted on '{train_name}')",
                         ["variant", "NDCG@10", "planning", "frontline", "long needs", "recall@10", "MRR"], rows))

    in_rows = []
    for b in benches.values():
        m = b.metrics(cross_validate(b, DEFAULT_WEIGHTS, list(SIGNALS)))
        in_rows.append([f"'{b.name}', 5-fold CV within the collection", m["ndcg@10"], m["recall@10"], m["mrr"]])
        m = b.metrics(b.engine(DEFAULT_WEIGHTS))
        in_rows.append([f"'{b.name}', shipped weights (fitted on both collections)", m["ndcg@10"], m["recall@10"],
                        m["mrr"]])
    out.append(table("In-sample (NOT held out: the judgments were seen when fitting)",
                     ["setting", "NDCG@10", "recall@10", "MRR"], in_rows))

    model = next(iter(benches.values())).model
    out.append(table("Role inference from job titles",
                     ["set", "n", "top-1 accuracy", "coverage (confident)", "accuracy, unknown counted wrong",
                      "both roles exactly right"],
                     role_rows(model, benches)))
    out.append(table("Field inference from needs (profiles that name their fields, fields hidden)",
                     ["collection", "profiles", "precision", "recall", "F1"], field_rows(benches)))
    out.append(f"Run took {time.time() - started:.0f} s; encoder: {getattr(model.encoder, 'name', None)}; "
               f"query of every baseline: {query_text.__doc__ or 'job title + needs'}.\n")
    write_results("results.md", "Quality benchmark results", "quality.py", "\n".join(out))


if __name__ == "__main__":
    main()
