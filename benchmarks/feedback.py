"""Does an installation learn from its own people's verdicts? Held out, on each labeled collection.

For each collection: a model on its catalog whose weights were fitted on the OTHER two collections (what a new
installation gets: evaluate.fit_engine, as in quality.py). Its profiles are split in two halves by a fixed seed.
For every profile of one half, a running service (`matcher serve`, a subprocess) shows the top 10 (POST
/recommendations) and every offer shown is answered from the judgments through POST /feedback: grade 2-3
"passt", grade 0 (or never judged) "passt_nicht", grade 1 no answer. Then `matcher refit` (a subprocess), and
NDCG@10 on the OTHER half before and after. Both halves in turn.

The curve (10, 30, 100, 300 verdicts, in the order they were given), the noisy people (20 % of verdicts flipped)
and pure noise (random verdicts) refit the same stored rows in process (matcher.feedback.refit_weights, what
`matcher refit` calls), the verdicts changed where said. Deadlines are ignored here (every offer valid), so that
the service, which ranks as of today, and the measurement see the same offers. Writes benchmarks/results_feedback.md
and benchmarks/feedback.png.

    python benchmarks/feedback.py [COLLECTION,COLLECTION,...]
"""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from datetime import date
from pathlib import Path

# benchmarks/http.py would shadow the standard library's http, which httpx needs: import it without benchmarks/
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
import httpx  # noqa: E402
import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))

from evaluate import K, Bench, MemoEncoder, fit_engine  # noqa: E402
from labeled import COLLECTIONS, HERE, Collection, write_results  # noqa: E402

from matcher import load, save  # noqa: E402
from matcher.core import ROLES  # noqa: E402
from matcher.feedback import PRIOR_STRENGTH, FeedbackStore, refit_weights  # noqa: E402
from matcher.model import DEFAULT_WEIGHTS, SIGNALS, FeedbackPrior, Weights  # noqa: E402
from matcher.ranking import rank  # noqa: E402
from matcher.text import default_encoder  # noqa: E402

SEED = 0
CURVE = (10, 30, 100, 300)
FLIPPED = 0.2
STRENGTHS = (0.3, 1.0, 3.0, 10.0)
NOISE_SEEDS = 5


def undated(collection: Collection, folder: Path) -> Collection:
    """The collection with its catalog's deadlines removed (judged as if every offer were current)."""
    rows = [json.loads(line) for line in collection.catalog.read_text(encoding="utf-8").splitlines() if line.strip()]
    path = folder / f"{collection.name}.jsonl"
    path.write_text("".join(json.dumps({**r, "valid_until": None}, ensure_ascii=False) + "\n" for r in rows),
                    encoding="utf-8")
    return replace(collection, catalog=path, today=date.today())


def halves(bench: Bench) -> tuple[list[int], list[int]]:
    idx = np.array(bench.judged())
    np.random.default_rng(SEED).shuffle(idx)
    cut = len(idx) // 2
    return sorted(int(i) for i in idx[:cut]), sorted(int(i) for i in idx[cut:])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wire(profile) -> dict:
    return {k: v for k, v in {"role_title": profile.role_title, "needs": profile.needs,
                               "fields": list(profile.fields), "region": profile.region,
                               "format_preference": profile.format_preference}.items() if v not in (None, [])}


def give_feedback(bench: Bench, model_dir: Path, db: str, people: list[int]) -> int:
    """Serve model_dir, and answer every shown offer of each person's top 10 from the judgments; returns how
    many verdicts were stored."""
    port = free_port()
    env = {**os.environ, "KOMMUNE_MATCHER_RELOAD_SECONDS": "0"}
    server = subprocess.Popen([sys.executable, "-m", "matcher.cli", "serve", "--model", str(model_dir), "--port",
                               str(port), "--feedback-db", db, "--demand-db", ""], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    given = 0
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
            for _ in range(600):
                try:
                    if client.get("/ready").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                time.sleep(0.2)
            for i in people:
                profile = bench.profiles[i]
                grades = bench.grades.get(profile.id, {})
                shown = client.post("/recommendations", json={"profile": wire(profile), "top_k": 10}).json()
                for rec in shown["recommendations"]:
                    grade = grades.get(rec["offer_id"], 0)
                    if grade == 1:
                        continue
                    verdict = "passt" if grade >= 2 else "passt_nicht"
                    answer = client.post("/feedback", json={"profile": wire(profile), "offer_id": rec["offer_id"],
                                                            "verdict": verdict})
                    answer.raise_for_status()
                    given += 1
    finally:
        server.terminate()
        server.wait(30)
    return given


def ndcg(bench: Bench, weights: Weights, people: list[int], prior: FeedbackPrior | None = None) -> np.ndarray:
    """NDCG@10 of each person, ranked with weights and a refit's feedback signal (the bench's signals have none)."""
    ranked = {}
    for i in people:
        person = bench.people[i]
        if prior is not None:
            role = bench.interpretations[i].role
            person = replace(person, raw={**person.raw, "feedback": prior.signal(ROLES.index(role) if role else None)})
        ranking = rank(bench.model, person, K, bench.today, weights)
        ranked[bench.profiles[i].id] = [bench.model.offer_ids[j] for j in ranking.chosen]
    return bench.per_profile(ranked, people)


def measured(bench: Bench, outcome, people: list[int]) -> float:
    return float(ndcg(bench, outcome.weights, people, outcome.prior).mean())


def first(stored, n: int):
    """The first n verdicts, in the order they were given."""
    return sorted(stored, key=lambda v: v.id)[:n]


def changed(stored, rng, share: float, random_verdicts: bool = False):
    out = []
    for v in stored:
        if random_verdicts:
            out.append(replace(v, passt=bool(rng.random() < 0.5)))
        else:
            out.append(replace(v, passt=(not v.passt) if rng.random() < share else v.passt))
    return out


def run_collection(bench: Bench, start: Weights, encoder, folder: Path) -> dict:
    model_dir = folder / f"{bench.name}-model"
    save(replace(bench.model, encoder=encoder, weights=start), model_dir)
    a, b = halves(bench)
    out = {"directions": []}
    for direction, (given_by, measured_on) in enumerate(((a, b), (b, a))):
        db = f"sqlite:///{folder / f'{bench.name}-{direction}.sqlite'}"
        n = give_feedback(bench, model_dir, db, given_by)
        before = ndcg(bench, start, measured_on)
        # `matcher refit` as a user runs it, on a copy of the model (the other direction starts from scratch)
        refit_dir = folder / f"{bench.name}-refit-{direction}"
        save(replace(bench.model, encoder=encoder, weights=start), refit_dir)
        proc = subprocess.run([sys.executable, "-m", "matcher.cli", "refit", "--model", str(refit_dir),
                               "--feedback-db", db], capture_output=True, text=True)
        refitted = load(refit_dir)
        after = ndcg(bench, refitted.weights, measured_on, refitted.feedback)
        stored = FeedbackStore(db, retention_days=0).read(kind="person")
        index = bench.model.index

        def refit(verdicts, **options):
            return refit_weights(verdicts, start, index, **{"min_feedback": 1, **options})
        curve = {}
        for size in (*CURVE, len(stored)):
            guarded, unguarded = refit(first(stored, size)), refit(first(stored, size), guarded=False)
            curve[min(size, len(stored))] = (guarded.adopted, measured(bench, guarded, measured_on),
                                             measured(bench, unguarded, measured_on))
        rng = np.random.default_rng(SEED)
        noisy = [refit(changed(stored, rng, FLIPPED), seed=s) for s in range(NOISE_SEEDS)]
        noise = [refit(changed(stored, rng, 0, random_verdicts=True), seed=s) for s in range(NOISE_SEEDS)]
        strengths = {s: measured(bench, refit(stored, strength=s, guarded=False), measured_on) for s in STRENGTHS}
        out["directions"].append({
            "verdicts": n, "stored": len(stored), "before": before, "after": after, "cli": proc.stdout.strip(),
            "curve": curve, "flipped": [(o.adopted, measured(bench, o, measured_on)) for o in noisy],
            "flipped_unguarded": measured(bench, refit(changed(stored, rng, FLIPPED), guarded=False), measured_on),
            "noise_adopted": sum(o.adopted for o in noise), "noise_runs": len(noise), "strengths": strengths})
    return out


def paired(before: np.ndarray, after: np.ndarray) -> str:
    gain = after - before
    return f"{gain.mean():+.3f} ± {gain.std(ddof=1) / np.sqrt(len(gain)):.3f}"


def report(results: dict, seconds: float) -> str:
    lines = ["Each collection's model starts from weights fitted on the other two collections (held out); its "
             "profiles are split in halves; one half gives verdicts through a running service's POST /feedback, "
             "`matcher refit` refits, NDCG@10 is measured on the other half. Both halves in turn. "
             f"Prior strength shipped: {PRIOR_STRENGTH}.", "",
             "| collection | direction | verdicts | NDCG@10 before | after `matcher refit` | gain (paired SE) | "
             "refit said |", "|---|---|---|---|---|---|---|"]
    for name, r in results.items():
        for d, x in enumerate(r["directions"]):
            lines.append(f"| {name} | half {'AB'[d]} -> {'BA'[d]} | {x['verdicts']} | {x['before'].mean():.3f} | "
                         f"{x['after'].mean():.3f} | {paired(x['before'], x['after'])} | {x['cli']} |")
    lines += ["", "### The curve: NDCG@10 on the other half after refitting on the first N verdicts", "",
              "Each cell: with the guard (\"kept\" when it kept the model) / the fit adopted unchecked.", "",
              "| collection | direction | before | " + " | ".join(f"N = {n}" for n in CURVE) + " | all (N) |",
              "|---|---|---|" + "---|" * (len(CURVE) + 1)]
    for name, r in results.items():
        for d, x in enumerate(r["directions"]):
            cells = [f"{g:.3f}{'' if adopted else ' (kept)'} / {u:.3f}"
                     for _, (adopted, g, u) in sorted(x["curve"].items())]
            cells[-1] += f" ({max(x['curve'])})"
            lines.append(f"| {name} | {'AB'[d]} | {x['before'].mean():.3f} | " + " | ".join(cells) + " |")
    lines += ["", f"### Noisy people ({FLIPPED:.0%} of verdicts flipped) and pure noise (random verdicts), "
              f"{NOISE_SEEDS} runs each", "",
              "| collection | direction | before | flipped: NDCG@10 after (median of runs) | flipped: lowest | "
              "flipped: adopted | flipped, unguarded | random: adopted by the guard |", "|---|---|---|---|---|---|---|---|"]
    for name, r in results.items():
        for d, x in enumerate(r["directions"]):
            values = [v for _, v in x["flipped"]]
            lines.append(f"| {name} | {'AB'[d]} | {x['before'].mean():.3f} | {np.median(values):.3f} | "
                         f"{min(values):.3f} | {sum(a for a, _ in x['flipped'])} of {len(values)} | "
                         f"{x['flipped_unguarded']:.3f} | {x['noise_adopted']} of {x['noise_runs']} |")
    lines += ["", "### Prior strength (all verdicts, unguarded): NDCG@10 on the other half, mean of both directions",
              "",
              "| collection | before | " + " | ".join(f"strength {s}" for s in STRENGTHS) + " |",
              "|---|---|" + "---|" * len(STRENGTHS)]
    for name, r in results.items():
        before = np.mean([x["before"].mean() for x in r["directions"]])
        cells = [np.mean([x["strengths"][s] for x in r["directions"]]) for s in STRENGTHS]
        lines.append(f"| {name} | {before:.3f} | " + " | ".join(f"{c:.3f}" for c in cells) + " |")
    lines += ["", f"Run took {seconds:.0f} s."]
    return "\n".join(lines)


def plot(results: dict) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(7, 4.2))
    for name, r in results.items():
        for d, x in enumerate(r["directions"]):
            sizes = sorted(x["curve"])
            gains = [x["curve"][s][2] - x["before"].mean() for s in sizes]
            ax.plot(sizes, gains, marker="o", label=f"{name}, Hälfte {'AB'[d]}")
    ax.axhline(0, color="grey", linewidth=0.8)
    ax.axhline(0.03, color="grey", linewidth=0.8, linestyle="--")
    ax.set_xscale("log")
    ax.set_xlabel("Rückmeldungen (passt / passt nicht)")
    ax.set_ylabel("NDCG@10-Gewinn auf der anderen Hälfte (ohne Prüfung übernommen)")
    ax.set_title("Lernen aus Rückmeldungen, auf nicht gesehenen Personen")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(HERE / "feedback.png", dpi=120)


def main(argv: list[str]) -> None:
    started = time.time()
    wanted = argv[0].split(",") if argv else [c.name for c in COLLECTIONS]
    encoder = default_encoder()
    memo = MemoEncoder(encoder)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        benches = {c.name: Bench(undated(c, folder), memo) for c in COLLECTIONS}
        results = {}
        for name in wanted:
            others = [b for n, b in benches.items() if n != name]
            start = fit_engine(others, DEFAULT_WEIGHTS, list(SIGNALS))
            results[name] = run_collection(benches[name], start, encoder, folder)
            print(name, "done", f"{time.time() - started:.0f} s", flush=True)
    plot(results)
    write_results("results_feedback.md", "Feedback: learning from an installation's own verdicts", "feedback.py",
                  report(results, time.time() - started))


if __name__ == "__main__":
    main(sys.argv[1:])
