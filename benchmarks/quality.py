"""Ranking quality on the project's labeled profiles: the engine against baselines, by segment, an ablation,
cross-validated weights, role and field inference. Prints tables and writes benchmarks/results.md.

    python benchmarks/quality.py
"""
from __future__ import annotations

import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from baselines import BM25Ranker, RandomRanker, TfidfRanker, query_text  # noqa: E402
from evaluate import Bench, cross_validate  # noqa: E402
from labeled import CATALOG, HELDOUT_TITLES, load_judgments, load_profiles, write_results  # noqa: E402

from matcher.catalog import read_catalog  # noqa: E402
from matcher.model import fit_model  # noqa: E402
from matcher.roles import read_job_titles  # noqa: E402
from matcher.taxonomy import FIELDS, PLANNING_SIDE  # noqa: E402



def table(title: str, header: list[str], rows: list[list]) -> str:
    def cell(v):
        return f"{v:.3f}" if isinstance(v, float) else str(v)
    lines = [f"### {title}", "", "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def metric_rows(bench, systems: dict[str, dict], subsets: dict[str, list[int] | None]):
    rows = []
    for name, ranked in systems.items():
        row = [name]
        for subset in subsets.values():
            m = bench.metrics(ranked, subset)
            row += [m["ndcg@10"]]
        m = bench.metrics(ranked)
        rows.append(row + [m["recall@10"], m["mrr"]])
    return rows


def main() -> None:
    started = time.time()
    offers, problems = read_catalog(CATALOG)
    assert not problems, problems
    model = fit_model(offers)
    profiles, raws = load_profiles()
    grades = load_judgments()
    bench = Bench(model, profiles, grades)
    planning = [i for i, r in enumerate(raws) if r["gold_role"] in PLANNING_SIDE]
    frontline = [i for i, r in enumerate(raws) if r["gold_role"] not in PLANNING_SIDE]
    long_needs = [i for i, p in enumerate(profiles) if len(p.needs) >= 600]
    short_needs = [i for i, p in enumerate(profiles) if len(p.needs) < 600]
    no_fields = [i for i, r in enumerate(raws) if not r.get("fields")]
    subsets = {"all": None, "planning": planning, "frontline": frontline, "long needs": long_needs,
               "short needs": short_needs, "no fields given": no_fields}

    queries = [query_text(p) for p in profiles]
    random_runs = [bench.from_scores(RandomRanker(offers, seed).scores(queries)) for seed in range(5)]
    systems = {"kommune-matcher (default weights)": bench.engine(model.weights)}
    cv_ranked, fold_weights = cross_validate(bench, model.weights)
    systems["kommune-matcher (5-fold CV-tuned)"] = cv_ranked
    for ranker in (BM25Ranker(offers), TfidfRanker(offers)):
        systems[ranker.name] = bench.from_scores(ranker.scores(queries))
    rows = metric_rows(bench, systems, subsets)
    rnd = np.mean([metric_rows(bench, {"random": r}, subsets)[0][1:] for r in random_runs], axis=0)
    rows.append(["random (mean of 5 seeds)", *rnd.tolist()])
    header = ["system", *[f"NDCG@10 {s}" for s in subsets], "recall@10", "MRR"]
    counts = ", ".join(f"{s}: {bench.metrics(systems['BM25 (bm25s, Snowball)'], sub)['n']}"
                       for s, sub in subsets.items())
    out = [f"Profiles with judgments per subset: {counts}. Catalog: {len(offers)} offers.\n",
           table("Engine against baselines (same profiles, same hard rules)", header, rows)]

    best_baseline = max(r[1] for r in rows if not r[0].startswith(("kommune", "random")))
    cv = rows[1]  # the honest figure: weights never saw the profiles they are scored on
    out.append(f"Engine (CV) / best baseline NDCG@10: {cv[1] / best_baseline:.2f} (target >= 1.2); "
               f"with the shipped default weights (tuned on all profiles, in-sample): {rows[0][1] / best_baseline:.2f}. "
               f"Planning-side {cv[2]:.3f} vs frontline {cv[3]:.3f} (target: planning not below).\n")

    w = model.weights
    ablation = {
        "lexical only (word + char)": w.without("semantic", "role", "open", "field", "format"),
        "semantic only": replace(w.without("word", "char", "role", "open", "field", "format"), semantic=1.0),
        "lexical + role + field": w.without("semantic"),
        "semantic + role + field": w.without("word", "char"),
        "lexical + semantic (no structured fit)": w.without("role", "open", "field", "format"),
        "full blend without role": w.without("role", "open"),
        "full blend without field": w.without("field"),
        "full blend, no diversification": None,
        "full blend": w,
    }
    abl_rows = []
    for name, weights in ablation.items():
        ranked = bench.engine(w, diversified=False) if weights is None else bench.engine(weights)
        m = bench.metrics(ranked)
        abl_rows.append([name, m["ndcg@10"], bench.metrics(ranked, planning)["ndcg@10"],
                         bench.metrics(ranked, frontline)["ndcg@10"], m["recall@10"], m["mrr"]])
    out.append(table("Ablation (default weights with signals switched off)",
                     ["variant", "NDCG@10", "planning", "frontline", "recall@10", "MRR"], abl_rows))

    fold_table = [[f"fold {i + 1}", *[getattr(fw, n) for n in ("word", "char", "semantic", "role", "open", "field",
                                                              "format")]] for i, fw in enumerate(fold_weights)]
    fold_table.append(["default", *[getattr(w, n) for n in ("word", "char", "semantic", "role", "open", "field",
                                                           "format")]])
    out.append(table("Weights tuned per CV fold (coordinate ascent on NDCG@10 of the other folds)",
                     ["", "word", "char", "semantic", "role", "open", "field", "format"], fold_table))

    titles, roles = read_job_titles(HELDOUT_TITLES)
    guesses = model.roles.guess(titles)
    confident = [(g, r) for g, r in zip(guesses, roles) if g.role is not None]
    role_rows = [["held-out titles", len(titles),
                  sum(g.best == r for g, r in zip(guesses, roles)) / len(titles),
                  len(confident) / len(titles),
                  sum(g.role == r for g, r in confident) / max(1, len(confident)),
                  sum(g.role == r for g, r in zip(guesses, roles)) / len(titles)]]
    gold_profiles = [(it, r["gold_role"]) for it, r in zip(bench.interpretations, raws)]
    role_rows.append(["benchmark profiles", len(gold_profiles),
                      "–", sum(it.role is not None for it, _ in gold_profiles) / len(gold_profiles),
                      sum(it.role == g for it, g in gold_profiles if it.role) /
                      max(1, sum(it.role is not None for it, _ in gold_profiles)),
                      sum(it.role == g for it, g in gold_profiles) / len(gold_profiles)])
    out.append(table("Role inference from job titles",
                     ["set", "n", "top-1 accuracy", "coverage (confident)", "accuracy when confident",
                      "accuracy, unknown counted wrong"], role_rows))

    with_fields = [i for i, r in enumerate(raws) if r.get("fields")]
    probe = [replace(profiles[i], fields=()) for i in with_fields]
    read = Bench(model, probe, {}).interpretations
    tp = sum(len(set(it.fields) & set(raws[i]["fields"])) for it, i in zip(read, with_fields))
    fp = sum(len(set(it.fields) - set(raws[i]["fields"])) for it, i in zip(read, with_fields))
    fn = sum(len(set(raws[i]["fields"]) - set(it.fields)) for it, i in zip(read, with_fields))
    prec, rec = tp / max(1, tp + fp), tp / max(1, tp + fn)
    out.append(table("Field inference from needs (profiles that name their fields, fields hidden)",
                     ["profiles", "precision", "recall", "F1"],
                     [[len(with_fields), prec, rec, 2 * prec * rec / max(1e-9, prec + rec)]]))
    out.append(f"Run took {time.time() - started:.0f} s; {len(FIELDS)} fields, encoder: "
               f"{getattr(model.encoder, 'name', None)}.\n")

    text = "\n".join(out)
    write_results("results.md", "Quality benchmark results", "quality.py", text)


if __name__ == "__main__":
    main()
