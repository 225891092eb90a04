"""Ranking quality that transfers: leave-one-collection-out over three labeled collections written apart.

Everything the engine learns from judgments (the blend weights, the fit's strength, the diversification setting and
the score calibration) is fitted on two collections' labels and measured on the third, each in turn, the real-text
collection first. Beside it, on the same held-out profiles and under the same hard rules: the strongest one-line
rivals (the encoder reading title + needs + named fields; the same plus one fitted boost for offers naming the role
read from the title), BM25, TF-IDF word + char, TF-IDF handed the true role and the given fields, and fusion. Then
per role group, an ablation, in-sample figures labeled as such, and role and field inference. Writes
benchmarks/results.md.

    python benchmarks/quality.py [COLLECTION,COLLECTION,...]
"""
from __future__ import annotations

import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from baselines import (ROLE_BOOSTS, BM25Ranker, EncoderRanker, RandomRanker, RoleBoostRanker,  # noqa: E402
                       RoleGivenTfidfRanker, TfidfRanker, query_text)
from evaluate import K, fit_engine, load_benches  # noqa: E402
from labeled import COLLECTIONS, HELDOUT_TITLES, NEW_TITLES, REAL_TITLES, THIRD_TITLES, write_results  # noqa: E402

from matcher.core import ROLES  # noqa: E402
from matcher.model import DEFAULT_WEIGHTS, SIGNALS, evaluate_roles, read_labeled_titles  # noqa: E402
from matcher.ranking import interpret_many  # noqa: E402

ENGINE = "kommune-matcher"
ENCODER = EncoderRanker.name
BOOSTED = RoleBoostRanker.name
MAIN_SUBSETS = ("all", "planning", "frontline", "long needs", "short needs", "no fields given")
SEGMENTS = ("planning, short", "frontline, short", "planning, long", "frontline, long")
TOP3 = 3


def table(title: str, header: list[str], rows: list[list]) -> str:
    def cell(v):
        return f"{v:.3f}" if isinstance(v, float) else str(v)
    lines = [f"### {title}", "", "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def irrelevant_top3(bench, ranked) -> float:
    """Share of the top-3 places (of judged profiles) that hold an offer graded 0 or never judged."""
    places = [bench.grades[bench.profiles[i].id].get(o, 0) for i in bench.judged()
              for o in ranked[bench.profiles[i].id][:TOP3]]
    return sum(g == 0 for g in places) / max(1, len(places))


def judged(bench, ranked) -> float:
    """Share of the listed offers that a judge graded (read in full or pooled): unjudged ones count as 0."""
    listed = [(p, o) for p, ids in ranked.items() for o in ids]
    return sum(o in bench.grades.get(p, {}) for p, o in listed) / max(1, len(listed))


def metric_rows(bench, systems: dict[str, dict], subsets) -> list[list]:
    rows = []
    for name, ranked in systems.items():
        every = bench.metrics(ranked)
        rows.append([name, *[bench.metrics(ranked, bench.subsets()[s])["ndcg@10"] for s in subsets],
                     every["recall@10"], every["mrr"], irrelevant_top3(bench, ranked), judged(bench, ranked)])
    return rows


def paired(bench, ours, theirs, subset=None) -> tuple[float, float, float, int]:
    """(our mean, their mean, mean difference, its standard error) over the same judged profiles."""
    a, b = bench.per_profile(ours, subset), bench.per_profile(theirs, subset)
    d = a - b
    se = d.std(ddof=1) / np.sqrt(len(d)) if len(d) > 1 else float("nan")
    return float(a.mean()) if len(a) else float("nan"), float(b.mean()) if len(b) else float("nan"), \
        float(d.mean()) if len(d) else float("nan"), float(se)


def read_roles(bench) -> list[tuple[str, ...]]:
    """The roles the engine reads from each profile's job title (empty when unsure)."""
    return [tuple(it.roles) for it in bench.interpretations]


def fit_boost(train, encoders) -> float:
    """The role boost that does best on the worst training collection (ties: the smaller boost)."""
    named = {b.name: names_role(b) for b in train}

    def worst(boost):
        return min(b.metrics(b.from_scores(encoders[b.name] + boost * named[b.name]))["ndcg@10"] for b in train)
    return max(ROLE_BOOSTS, key=lambda w: (round(worst(w), 4), -w))


def names_role(bench) -> np.ndarray:
    return np.array([[bool(set(roles) & set(o.target_roles)) for o in bench.offers] for roles in read_roles(bench)],
                    dtype=float)


def encoder_scores(bench) -> np.ndarray:
    return EncoderRanker(bench.offers, bench.model.encoder).scores(bench.profiles)


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


def held_out_systems(train, test, encoders) -> tuple[dict[str, dict], dict]:
    """Every system's top 10 on `test` with what it learns fitted on `train` only, and what was fitted."""
    weights = fit_engine(train, DEFAULT_WEIGHTS, list(SIGNALS))
    boost = fit_boost(train, encoders)
    lexical = [BM25Ranker(test.offers), TfidfRanker(test.offers), RoleGivenTfidfRanker(test.offers, test.gold_roles())]
    systems = {ENGINE: test.engine(weights), ENCODER: test.from_scores(encoders[test.name]),
               BOOSTED: test.from_scores(encoders[test.name] + boost * names_role(test)),
               **{r.name: test.from_scores(r.scores(test.profiles)) for r in lexical},
               "reciprocal rank fusion of the engine's signals": fused(test)}
    return systems, {"weights": weights, "boost": boost}


def random_row(bench, subsets) -> list:
    runs = [metric_rows(bench, {"random": bench.from_scores(RandomRanker(bench.offers, s).scores(bench.profiles))},
                        subsets)[0][1:-1] for s in range(5)]
    return ["random (mean of 5 seeds)", *np.mean(runs, axis=0).tolist(), "–"]


def versus(test, systems, rival) -> str:
    ours, theirs, d, se = paired(test, systems[ENGINE], systems[rival])
    return f"{ours / theirs:.3f} x {rival} (difference {d:+.3f} ± {se:.3f})"


def role_group_rows(test, systems) -> list[list]:
    """NDCG@10 per gold role, the engine against the second rival, with the paired standard error."""
    rows = []
    for role in ROLES:
        idx = [i for i, r in enumerate(test.raws) if r["gold_role"] == role]
        if not test.judged(idx):
            continue
        ours, theirs, d, se = paired(test, systems[ENGINE], systems[BOOSTED], idx)
        enc = test.metrics(systems[ENCODER], idx)["ndcg@10"]
        rows.append([role, len(test.judged(idx)), ours, theirs, enc, f"{d:+.3f} ± {se:.3f}"])
    return rows


def ablation(train, test) -> list[list]:
    """Each signal over the encoder signal alone and each signal taken from the full blend, every variant
    refitted on the training collections."""
    variants = {"semantic only (the engine's encoder signal)": ["semantic"]}
    variants |= {f"semantic + {s}": ["semantic", s] for s in SIGNALS if s != "semantic"}
    variants |= {f"full blend without {s}": [n for n in SIGNALS if n != s] for s in SIGNALS}
    variants["full blend"] = list(SIGNALS)
    rows = []
    for name, names in variants.items():
        off = {s: 0.0 for s in SIGNALS if s not in names}
        ranked = test.engine(fit_engine(train, replace(DEFAULT_WEIGHTS, **off), names))
        m, sub = test.metrics(ranked), test.subsets()
        rows.append([name, m["ndcg@10"], test.metrics(ranked, sub["planning"])["ndcg@10"],
                     test.metrics(ranked, sub["frontline"])["ndcg@10"], m["recall@10"], irrelevant_top3(test, ranked)])
    return rows


def role_rows(model, benches) -> list[list]:
    """Role inference on labeled titles never trained on, and on the benchmark profiles."""
    rows = []
    for name, path in (("real titles of a third author (job_titles_real3.csv: held out, never looked at)",
                        THIRD_TITLES),
                       ("real titles of another author (job_titles_real2.csv: held out, the hard cases sought)",
                        NEW_TITLES), ("held-out titles", HELDOUT_TITLES),
                       ("real titles (public postings, council lists)", REAL_TITLES)):
        if not path.exists():
            continue
        f = evaluate_roles(model.roles, read_labeled_titles(path))
        rows.append([name, f["n"], f["top1"], f["coverage"], f["accuracy"], f["confidently_wrong"], f["roles_exact"]])
        rows.append([f"{name}, elected officials", f["elected_n"], f["elected_top1"], f["elected_coverage"],
                     f["elected_accuracy"], f["elected_confidently_wrong"], f["elected_roles_exact"]])
    for b in benches.values():
        read = list(zip(b.interpretations, b.raws, b.gold_roles()))
        n = len(read)
        rows.append([f"profiles of '{b.name}'", n, "–", sum(it.role is not None for it, _, _ in read) / n,
                     sum(it.role == r["gold_role"] for it, r, _ in read) / n,
                     sum(it.role is not None and it.role != r["gold_role"] for it, r, _ in read) / n,
                     sum(it.roles == gold for it, _, gold in read) / n])
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


def main(names: list[str] | None = None) -> None:
    started = time.time()
    benches = load_benches([c for c in COLLECTIONS if names is None or c.name in names])
    encoders = {name: encoder_scores(b) for name, b in benches.items()}
    out = []
    counts = "; ".join(f"'{b.name}': {len(b.offers)} offers, {len(b.judged())} judged profiles "
                       f"({len(b.judged(b.subsets()['planning']))} planning side, "
                       f"{len(b.judged(b.subsets()['long needs']))} long needs)" for b in benches.values())
    out.append(f"Collections: {counts}. Held out means: everything fitted on judgments (blend weights, the fit's "
               f"strength, diversification, score calibration, the rival's role boost) was fitted on the other two "
               f"collections only, chosen by the lower of their figures when each is held out of the other.\n")
    header = ["system", *[f"NDCG@10 {s}" for s in MAIN_SUBSETS], "recall@10", "MRR", "top-3 graded 0",
              "top 10 judged"]
    summary, seg_rows, groups, ablations = [], [], [], []
    for test_name, test in benches.items():
        train = [b for n, b in benches.items() if n != test_name]
        fitted_on = " and ".join(f"'{b.name}'" for b in train)
        systems, fitted = held_out_systems(train, test, encoders)
        rows = metric_rows(test, systems, MAIN_SUBSETS) + [random_row(test, MAIN_SUBSETS)]
        out.append(table(f"Held out: fitted on {fitted_on}, measured on '{test_name}'", header, rows))
        out.append(f"NDCG@10, paired over the same {len(test.judged())} profiles: {versus(test, systems, ENCODER)}; "
                   f"{versus(test, systems, BOOSTED)} (boost {fitted['boost']} fitted on {fitted_on}); the engine's "
                   f"diversification fitted there: mmr_lambda {fitted['weights'].mmr_lambda}.\n")
        by = {r[0]: r for r in rows}
        worst_group = min(float(g[-1].split()[0]) for g in role_group_rows(test, systems))
        summary.append([test_name, by[ENGINE][1], by[ENCODER][1], by[BOOSTED][1], by[ENGINE][1] / by[ENCODER][1],
                        by[ENGINE][1] / by[BOOSTED][1], by[ENGINE][7],
                        max(r[7] for n, r in by.items() if n != ENGINE and not n.startswith("random")),
                        by[ENGINE][9], worst_group])
        groups.append((test_name, role_group_rows(test, systems)))
        for system in (ENGINE, ENCODER, BOOSTED):
            seg_rows.append([f"{system} on '{test_name}'",
                             *[test.metrics(systems[system], test.subsets()[s])["ndcg@10"] for s in SEGMENTS],
                             *[test.metrics(systems[system], test.subsets()[s])["n"] for s in SEGMENTS]])
        ablations.append((fitted_on, test_name, ablation(train, test)))
    out.insert(1, table("Targets, every collection held out in turn (NDCG@10)",
                        ["held out", "engine", "encoder alone", "encoder + role boost", "x encoder (target 1.15)",
                         "x role boost (target 1.05)", "recall@10", "best rival's recall@10",
                         "top-3 graded 0 (target <= 0.20)", "worst role group vs role boost (target >= -0.02)"],
                        summary))
    for test_name, rows in groups:
        out.append(table(f"Held out on '{test_name}': per role group (NDCG@10; difference engine - role boost, "
                         f"paired standard error)",
                         ["gold role", "profiles", "engine", "encoder + role boost", "encoder alone", "difference"],
                         rows))
    out.append(table("Held out: planning side vs frontline, short vs long needs (NDCG@10, then profiles)",
                     ["system", *SEGMENTS, *[f"n {s}" for s in SEGMENTS]], seg_rows))
    for fitted_on, test_name, rows in ablations:
        out.append(table(f"Held-out ablation on '{test_name}' (every variant fitted on {fitted_on})",
                         ["variant", "NDCG@10", "planning", "frontline", "recall@10", "top-3 graded 0"], rows))
    in_rows = []
    for b in benches.values():
        m = b.metrics(b.engine(DEFAULT_WEIGHTS))
        in_rows.append([f"'{b.name}', shipped weights (fitted on every collection)", m["ndcg@10"], m["recall@10"],
                        m["mrr"]])
    out.append(table("In-sample (NOT held out: the judgments were seen when fitting)",
                     ["setting", "NDCG@10", "recall@10", "MRR"], in_rows))
    model = next(iter(benches.values())).model
    out.append(table("Role inference from job titles",
                     ["set", "n", "top-1 accuracy", "coverage (confident)", "accuracy, unknown counted wrong",
                      "confidently wrong", "both roles exactly right"], role_rows(model, benches)))
    out.append(table("Field inference from needs (profiles that name their fields, fields hidden)",
                     ["collection", "profiles", "precision", "recall", "F1"], field_rows(benches)))
    out.append(f"Run took {time.time() - started:.0f} s; encoder: {getattr(model.encoder, 'name', None)}; "
               f"query of every baseline: {query_text.__doc__}; K = {K}.\n")
    write_results("results.md", "Quality benchmark results", "quality.py", "\n".join(out))


if __name__ == "__main__":
    main(sys.argv[1].split(",") if len(sys.argv) > 1 else None)  # e.g. bundled,second: a quicker run
