"""Scale: the engine on synthetic catalogs (10,000, 100,000, 1,000,000 offers), beside the bare kernels a user might
pick instead, in one run. Writes benchmarks/results_scale.md and benchmarks/scale.png.

One request is timed both ways, with the first stage (candidates first, forced at every size) and with the full
scorer (every offer scored, the reference); `matcher score` runs as shipped (the first stage above full_below).

Everything around the encoder is measured with a stand-in encoder (benchmarks/standin.py: a vector per text from
its words' hashes, whose neighbours a graph finds less well than the real encoder's, benchmarks/results_standin.md),
because the real one embeds about 10 to 20 passages a second on this machine (100,000 offers: hours); the real
encoder's own throughput, and the engine's train and batch with it, are measured at 300 offers and set side by
side. Whole processes are timed with GNU time (wall clock, peak RSS); figures are medians of --runs runs. Each size's
figures are kept in benchmarks/results_scale_rows.jsonl with the date and commit they were measured at, and the table
shows the latest of every size, so that the million-offer column (an hour) need not be measured again with the others.

    python benchmarks/scale.py [--sizes 300,10000,100000] [--profiles 1000] [--runs 3] [--sample 200]
"""
from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import synthetic  # noqa: E402
from standin import StandInEncoder  # noqa: E402
from labeled import write_results  # noqa: E402

STANDIN = [sys.executable, str(HERE / "standin.py")]
MATCHER = [sys.executable, "-m", "matcher.cli"]
BARE = [sys.executable, str(HERE / "bare_tfidf.py")]  # the bare TF-IDF kernel as a command, fitted beforehand
BARE_ENCODER = [sys.executable, str(HERE / "bare_encoder.py")]  # the encoder alone as a command (the one-line rival)
K = 10
FIRST_STANDIN = "stand-in (hash vectors)"  # a random vector per text: what rows measured before 2026-12-08 used


def timed(cmd: list[str], **kwargs) -> tuple[float, float, str]:
    """(seconds, peak RSS in MiB, stdout) of one process."""
    started = time.perf_counter()
    proc = subprocess.run(["/usr/bin/time", "-v", *map(str, cmd)], capture_output=True, text=True, cwd=ROOT,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, **kwargs)
    seconds = time.perf_counter() - started
    if proc.returncode != 0:  # the Python errors (a Spark worker's among Java's lines), then the end of stderr
        errors = [line for line in proc.stderr.splitlines() if re.match(r"[\w.]+(Error|Exception)\b", line)]
        raise RuntimeError(f"{cmd} failed:\n" + "\n".join(errors[:20]) + f"\n...\n{proc.stderr[-2000:]}")
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", proc.stderr).group(1)) / 1024
    return seconds, rss, proc.stdout


def median_of(runs: int, measure) -> tuple:
    results = [measure() for _ in range(runs)]
    return tuple(statistics.median(values) for values in zip(*results))


def in_process(model_dir: Path, profiles: Path, n: int) -> dict:
    """Load time, single-request latency (p50, p99) in both modes and team-request latency, in a fresh process."""
    code = f"""
import json, sys, time
from dataclasses import replace
sys.path.append({str(ROOT)!r})
from benchmarks import standin  # noqa: F401 (the models' encoder, pickled as benchmarks.standin)
from matcher import load, limits, parse_profile, recommend
from matcher.ranking import DEFAULT_FIRST_STAGE
from matcher.teams import recommend_group
limits.one_blas_thread()  # as the service and the CLI run
t = time.perf_counter(); model = load({str(model_dir)!r}); load_s = time.perf_counter() - t
people = [parse_profile(json.loads(line)) for line in open({str(profiles)!r}, encoding="utf-8").readlines()[:{n}]]
out = {{"load": load_s}}


def requests(name, ask, items):
    # p50 and p99 of ask(item, first_stage) through the first stage (forced at every size: the engine applies it
    # above full_below) and in full (the reference), and the share of the reference's top 10 the first stage shows;
    # each item asked once before the timed pass, as a running service has been: the first requests after load map
    # the model's pages from disk (1,000,000 offers: 6 GB, and the first 50 requests 160 ms at the median)
    shown = {{}}
    for stage, first_stage in (("", replace(DEFAULT_FIRST_STAGE, full_below=0)), ("_full", None)):
        for item in items:
            ask(item, first_stage)
        times, shown[stage] = [], []
        for item in items:
            t = time.perf_counter(); r = ask(item, first_stage); times.append(time.perf_counter() - t)
            shown[stage].append({{x.offer_id for x in r.recommendations}})
        times.sort()
        out[name + stage] = (times[len(times) // 2], times[min(len(times) - 1, int(0.99 * len(times)))])
    out[name + "_agreement"] = sum(len(a & b) / max(1, len(b)) for a, b in zip(shown[""], shown["_full"])) / len(items)


for mode, m in (("semantic", model), ("lexical", model.lexical())):
    requests(mode, lambda p, first_stage: recommend(m, p, {K}, first_stage=first_stage), people)
# teams of 4 of one region (the semantic mode)
teams = [[replace(p, region=people[i].region) for p in people[i:i + 4]] for i in range(0, len(people) - 3, 4)]
requests("team", lambda team, first_stage: recommend_group(model, team, {K}, first_stage=first_stage), teams)
print(json.dumps(out))
"""
    return json.loads(timed([sys.executable, "-c", code])[2])


def bare_tfidf(offers: list[dict], people: list[dict], chunk: int = 256) -> float:
    """Profiles per second of plain scikit-learn TF-IDF: fit on the offers, then per chunk one sparse product and
    argpartition for the top 10 (the kernel a user might write instead of the engine)."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    started = time.perf_counter()
    vectorizer = TfidfVectorizer(sublinear_tf=True, dtype=np.float32)
    columns = vectorizer.fit_transform([f"{o['title']}. {o['description']}" for o in offers]).T.tocsr()
    for start in range(0, len(people), chunk):
        part = people[start:start + chunk]
        scores = (vectorizer.transform([p["needs"] for p in part]) @ columns).toarray()
        np.argpartition(-scores, K - 1, axis=1)[:, :K]
    return len(people) / (time.perf_counter() - started)


def bare_three_products(offers: list[dict], people: list[dict], chunk: int = 256) -> float:
    """Profiles per second of the engine's three TF-IDF products done bare with scikit-learn (words of the needs,
    character 3-5-grams of the needs, of title and needs, each against the offer texts), summed, argpartition: the
    kernel the engine's lexical mode cannot do without, so the ratio to it is what the engine adds."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    started = time.perf_counter()
    texts = [f"{o['title']}. {o['description']}" for o in offers]
    words = TfidfVectorizer(sublinear_tf=True, dtype=np.float32)
    chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True, dtype=np.float32)
    word_columns = words.fit_transform(texts).T.tocsr()
    char_columns = chars.fit_transform(texts).T.tocsr()
    for start in range(0, len(people), chunk):
        part = people[start:start + chunk]
        needs = [p["needs"] for p in part]
        scores = ((words.transform(needs) @ word_columns) + (chars.transform(needs) @ char_columns)
                  + (chars.transform([f"{p.get('role_title', '')} {p['needs']}" for p in part]) @ char_columns))
        np.argpartition(-scores.toarray(), K - 1, axis=1)[:, :K]
    return len(people) / (time.perf_counter() - started)


def bare_bm25(offers: list[dict], people: list[dict]) -> float:
    """Profiles per second of bm25s retrieval (index, tokenise with Snowball, retrieve the top 10)."""
    import bm25s
    import Stemmer
    stemmer = Stemmer.Stemmer("german")
    started = time.perf_counter()
    model = bm25s.BM25()
    model.index(bm25s.tokenize([f"{o['title']}. {o['description']}" for o in offers], stopwords="de",
                               stemmer=stemmer, show_progress=False), show_progress=False)
    tokens = bm25s.tokenize([p["needs"] for p in people], stopwords="de", stemmer=stemmer, show_progress=False)
    model.retrieve(tokens, k=min(K, len(offers)), show_progress=False, n_threads=1)
    return len(people) / (time.perf_counter() - started)


def encoder_throughput(offers: list[dict], people: list[dict], n: int = 64) -> tuple[float, float]:
    """(queries per second, passages per second) of the bare encoder on the engine's own texts."""
    from matcher.text import default_encoder
    encoder = default_encoder()
    encoder.encode_queries(["Aufwärmen"])
    started = time.perf_counter()
    encoder.encode_queries([p["needs"] for p in people[:n]])
    queries = n / (time.perf_counter() - started)
    started = time.perf_counter()
    encoder.encode_passages([f"{o['title']}. {o['description']}" for o in offers[:n]])
    return queries, n / (time.perf_counter() - started)


def size_of(model_dir: Path) -> float:
    return sum(p.stat().st_size for p in model_dir.resolve().iterdir()) / 2**20


def measure_size(n: int, people_n: int, sample: int, runs: int, work: Path, spark: bool, bare_up_to: int) -> dict:
    offers = synthetic.catalog(n)
    catalog = synthetic.write_jsonl(work / f"catalog-{n}.jsonl", offers)
    update = synthetic.write_jsonl(work / f"update-{n}.jsonl", synthetic.changed(offers, 0.01))
    scored_n = people_n if n <= 10_000 else sample
    people = synthetic.profiles(scored_n)
    profiles = synthetic.write_jsonl(work / f"profiles-{n}.jsonl", people)
    model = work / f"model-{n}"
    row = {"offers": n, "profiles": scored_n}
    full, full_rss, _ = timed([*STANDIN, "train", "--catalog", catalog, "--model", model])
    upd, _, said = timed([*STANDIN, "train", "--catalog", update, "--model", model])
    row.update(train=full, train_rss=full_rss, update=upd, update_said=said.strip(), size=size_of(model))
    out = work / "scored.jsonl"
    for mode, flag in (("semantic", []), ("lexical", ["--no-semantic"])):
        seconds, rss = median_of(runs, lambda: timed([*STANDIN, "score", profiles, "--model", model, "--out", out,
                                                     *flag])[:2])
        row[f"batch_{mode}"], row[f"rss_{mode}"] = scored_n / seconds, rss
        if spark:  # beside the local engine's output of the same mode: the same bytes, or a finding
            spark_out = work / "scored-spark.jsonl"
            seconds, rss, _ = timed([*STANDIN, "score", profiles, "--model", model, "--out", spark_out, *flag,
                                     "--engine", "spark", "--spark-master", "local[2]"])
            row[f"spark_{mode}"] = scored_n / seconds
            row[f"spark_{mode}_same"] = spark_out.read_bytes() == out.read_bytes()
    row.update(in_process(model, profiles, min(scored_n, 200 if n <= 100_000 else 50)))  # the full scorer: s each
    if n <= bare_up_to:  # the bare kernels score every offer per profile: at a million offers, hours
        bare_model = work / f"bare-{n}.joblib"
        timed([*BARE, "train", catalog, bare_model])
        seconds, rss = median_of(runs, lambda: timed([*BARE, "score", profiles, bare_model, work / "bare.jsonl"])[:2])
        row["tfidf_command"], row["tfidf_command_rss"] = scored_n / seconds, rss
        row["tfidf"] = statistics.median(bare_tfidf(offers, people) for _ in range(runs))
        row["three"] = statistics.median(bare_three_products(offers, people) for _ in range(runs))
        row["bm25"] = statistics.median(bare_bm25(offers, people) for _ in range(runs))
    return row


def real_encoder_row(work: Path, people_n: int, runs: int) -> dict:
    """At 300 offers, with the real encoder: train and score beside the bare encoder, as commands (the one-line
    rival reading the same texts, benchmarks/bare_encoder.py) and in this process; medians of runs, interleaved."""
    offers, people = synthetic.catalog(300), synthetic.profiles(people_n)
    catalog = synthetic.write_jsonl(work / "real-catalog.jsonl", offers)
    profiles = synthetic.write_jsonl(work / "real-profiles.jsonl", people)
    update = synthetic.write_jsonl(work / "real-update.jsonl", synthetic.changed(offers, 0.01))
    queries, passages = encoder_throughput(offers, people)
    bare, models = work / "real-bare.npz", []

    def once():
        model = work / f"real-model-{len(models)}"  # a full train each time: nothing to reuse
        models.append(model)
        train = timed([*MATCHER, "train", "--catalog", catalog, "--model", model])[0]
        bare_train = timed([*BARE_ENCODER, "train", catalog, bare])[0]
        score = timed([*MATCHER, "score", profiles, "--model", model, "--out", work / "real.jsonl"])[0]
        bare_score = timed([*BARE_ENCODER, "score", profiles, bare, work / "real-bare.jsonl"])[0]
        return train, bare_train, score, bare_score
    train, bare_train, score, bare_score = median_of(runs, once)
    upd, _, said = timed([*MATCHER, "train", "--catalog", update, "--model", models[-1]])
    return {"queries": queries, "passages": passages, "train": train, "train_offers": len(offers) / train,
            "bare_train_offers": len(offers) / bare_train, "batch": people_n / score,
            "bare_batch": people_n / bare_score, "profiles": people_n, "offers": len(offers), "runs": runs,
            "update": upd, "update_said": said.strip()}


def flat_memory(work: Path, sizes=(1_000, 30_000), n_offers: int = 300) -> list[tuple[int, float, float]]:
    """(profiles, seconds, peak RSS MiB) of `score --no-semantic` on growing profile files: memory stays flat."""
    catalog = synthetic.write_jsonl(work / "flat-catalog.jsonl", synthetic.catalog(n_offers))
    model = work / "flat-model"
    timed([*STANDIN, "train", "--catalog", catalog, "--model", model])
    out = []
    for n in sizes:
        profiles = synthetic.write_jsonl(work / f"flat-{n}.jsonl", synthetic.profiles(n))
        seconds, rss, _ = timed([*STANDIN, "score", profiles, "--model", model, "--out", work / "flat.jsonl",
                                 "--no-semantic"])
        out.append((n, seconds, rss))
    return out


def table(rows: list[dict], real: dict) -> str:
    lines = ["| | " + " | ".join(f"{r['offers']:,} offers" for r in rows) + " |",
             "|---|" + "---|" * len(rows)]

    def line(name, fmt):
        def cell(r):
            try:
                return fmt(r)
            except KeyError:  # not measured at this size (the bare kernels above --bare-up-to)
                return "–"
        lines.append(f"| {name} | " + " | ".join(cell(r) for r in rows) + " |")
    line("measured (date, commit)", lambda r: f"{r['measured']}, {r['commit']}")
    line("stand-in encoder (benchmarks/results_standin.md)", lambda r: r.get("standin", FIRST_STANDIN))
    line("full train (stand-in encoder), s", lambda r: f"{r['train']:.1f}")
    line("update train, 1 % of offers changed, s", lambda r: f"{r['update']:.1f} ({r['update'] / r['train']:.0%} of full)")
    line("**peak RSS of train, MiB** (target < 1,536 at 100,000, < 8,192 at 1,000,000)",
         lambda r: f"**{r['train_rss']:.0f}**")
    line("**model on disk (with kept embeddings), MiB** (target < 600 at 100,000)", lambda r: f"**{r['size']:.1f}**")
    line("load, s", lambda r: f"{r['load']:.2f}")
    line("**single request p50 / p99, ms, semantic (beyond the encoder), first stage** (target p99 < 20 at 100,000, < 60 at 1,000,000)",
         lambda r: f"**{1000 * r['semantic'][0]:.1f} / {1000 * r['semantic'][1]:.1f}**")
    line("the same with the full scorer (every offer scored: the reference)",
         lambda r: f"{1000 * r['semantic_full'][0]:.1f} / {1000 * r['semantic_full'][1]:.1f}")
    line("share of the full scorer's top 10 that the first stage shows too, semantic / --no-semantic",
         lambda r: f"{r['semantic_agreement']:.2f} / {r['lexical_agreement']:.2f}")
    line("team request (4 members of one state) p50 / p99, ms, semantic, first stage",
         lambda r: f"{1000 * r['team'][0]:.0f} / {1000 * r['team'][1]:.0f}")
    line("the same with the full scorer", lambda r: f"{1000 * r['team_full'][0]:.0f} / {1000 * r['team_full'][1]:.0f}")
    line("share of the full scorer's team top 10 that the first stage shows too", lambda r: f"{r['team_agreement']:.2f}")
    line("single request p50 / p99, ms, --no-semantic, first stage",
         lambda r: f"{1000 * r['lexical'][0]:.1f} / {1000 * r['lexical'][1]:.1f}")
    line("the same with the full scorer",
         lambda r: f"{1000 * r['lexical_full'][0]:.1f} / {1000 * r['lexical_full'][1]:.1f}")
    line("profiles scored (a sample where fewer than --profiles)", lambda r: f"{r['profiles']:,}")
    line("`matcher score`, profiles/s, semantic (stand-in encoder)", lambda r: f"{r['batch_semantic']:.0f}")
    line("`matcher score --no-semantic`, profiles/s", lambda r: f"{r['batch_lexical']:.0f}")
    line("bare TF-IDF kernel as a command (benchmarks/bare_tfidf.py: its own process loads the kernel fitted "
         "beforehand, reads the profiles, scores, writes the top 10, as `matcher score` does), profiles/s",
         lambda r: f"{r['tfidf_command']:.0f}")
    line("**`score --no-semantic` / the bare kernel as a command** (target >= 0.7)",
         lambda r: f"**{r['batch_lexical'] / r['tfidf_command']:.2f}**")
    line("bare TF-IDF kernel in this process (scikit-learn, fit included, chunked product, argpartition), profiles/s",
         lambda r: f"{r['tfidf']:.0f}")
    line("`score --no-semantic` (a command: start and load included) / the bare kernel in process",
         lambda r: f"{r['batch_lexical'] / r['tfidf']:.2f}")
    line("the engine's three TF-IDF products done bare (scikit-learn, words + two char n-gram), profiles/s",
         lambda r: f"{r['three']:.0f}")
    line("`score --no-semantic` / the bare three products", lambda r: f"{r['batch_lexical'] / r['three']:.2f}")
    line("bm25s retrieval, profiles/s", lambda r: f"{r['bm25']:.0f}")
    if any("spark_semantic" in r for r in rows):
        line("Spark local[2], profiles/s, semantic / --no-semantic (output the local engine's byte for byte?)",
             lambda r: f"{r['spark_semantic']:.0f} / {r['spark_lexical']:.0f} "
                       f"({'yes' if r['spark_semantic_same'] and r['spark_lexical_same'] else '**no**'})")
    line("peak RSS of `score`, MiB, semantic / --no-semantic",
         lambda r: f"{r['rss_semantic']:.0f} / {r['rss_lexical']:.0f}")
    if real is None:
        return "\n".join(lines)
    lines += ["", f"With the real encoder (multilingual-e5-small, 4-bit) at {real['offers']} offers and "
              f"{real['profiles']} profiles (measured {real['measured']}, {real['commit']}), commands timed whole "
              f"(start, load, read, encode, write), medians of "
              f"{real['runs']} interleaved runs; the bare encoder is the one-line rival reading the same texts "
              "(benchmarks/bare_encoder.py):", "",
              "| | the engine | the bare encoder as a command | ratio | the bare encoder in this process | ratio |",
              "|---|---|---|---|---|---|",
              f"| `matcher score`, profiles/s | {real['batch']:.1f} | {real['bare_batch']:.1f} | "
              f"**{real['batch'] / real['bare_batch']:.2f}** (target >= 0.8) | {real['queries']:.1f} queries/s "
              f"(needs only) | {real['batch'] / real['queries']:.2f} |",
              f"| `matcher train`, offers/s | {real['train_offers']:.1f} | {real['bare_train_offers']:.1f} | "
              f"**{real['train_offers'] / real['bare_train_offers']:.2f}** (target >= 0.8) | "
              f"{real['passages']:.1f} passages/s (title + description) | "
              f"{real['train_offers'] / real['passages']:.2f} |",
              f"| update train, 1 % of offers changed, s | {real['update']:.1f} | full train {real['train']:.1f} s | "
              f"**{real['update'] / real['train']:.0%}** of full (target < 10 %) | | |",
              "", f"Update train with the real encoder, as `train` reported it: {real['update_said']}"]
    return "\n".join(lines)


def flat_table(flat: list[tuple[int, float, float]]) -> str:
    lines = ["`matcher score --no-semantic` on growing profile files (300 offers, stand-in model):", "",
             "| profiles | profiles/s | peak RSS, MiB |", "|---|---|---|"]
    lines += [f"| {n:,} | {n / seconds:.0f} | {rss:.0f} |" for n, seconds, rss in flat]
    return "\n".join(lines)


def plot(rows: list[dict], path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    sizes = [r["offers"] for r in rows]
    fig, (left, middle, right) = plt.subplots(1, 3, figsize=(15, 4))
    for key, label in (("semantic", "first stage, semantic"), ("semantic_full", "full scorer, semantic"),
                       ("lexical", "first stage, --no-semantic"), ("lexical_full", "full scorer, --no-semantic")):
        middle.plot(sizes, [1000 * r[key][1] for r in rows], "o-" if "full" not in key else "o--", label=label)
    middle.set(xscale="log", yscale="log", xlabel="offers in the catalog", ylabel="p99 per request, ms",
               title="One request, beyond the encoder")
    middle.legend(fontsize=8)
    left.plot(sizes, [r["batch_lexical"] for r in rows], "o-", label="score --no-semantic")
    left.plot(sizes, [r["batch_semantic"] for r in rows], "o-", label="score (stand-in encoder)")
    bare = [r for r in rows if "tfidf" in r]
    left.plot([r["offers"] for r in bare], [r["tfidf"] for r in bare], "o--", label="bare TF-IDF kernel, in process")
    command = [r for r in rows if "tfidf_command" in r]
    left.plot([r["offers"] for r in command], [r["tfidf_command"] for r in command], "o--",
              label="bare TF-IDF kernel, as a command")
    left.plot([r["offers"] for r in bare], [r["bm25"] for r in bare], "o--", label="bm25s")
    left.set(xscale="log", yscale="log", xlabel="offers in the catalog", ylabel="profiles per second",
             title="Batch throughput")
    left.legend(fontsize=8)
    right.plot(sizes, [r["rss_lexical"] for r in rows], "o-", label="score --no-semantic")
    right.plot(sizes, [r["rss_semantic"] for r in rows], "o-", label="score (stand-in encoder)")
    right.plot(sizes, [r["train_rss"] for r in rows], "o-", label="train")
    right.axhline(1024, color="grey", linestyle=":", label="1 GiB")
    right.set(xscale="log", xlabel="offers in the catalog", ylabel="peak RSS, MiB", title="Memory")
    right.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


ROWS = HERE / "results_scale_rows.jsonl"  # every size's latest figures, so a run of some sizes keeps the others'
REAL_ROW = HERE / "results_scale_real.json"  # the real encoder's figures at 300 offers, kept the same way


def kept_rows() -> list[dict]:
    rows = [json.loads(line) for line in ROWS.read_text(encoding="utf-8").splitlines()] if ROWS.exists() else []
    return sorted(rows, key=lambda r: r["offers"])


def keep_row(row: dict) -> None:
    rows = [r for r in kept_rows() if r["offers"] != row["offers"]] + [row]
    ROWS.write_text("".join(json.dumps(r) + "\n" for r in sorted(rows, key=lambda r: r["offers"])), encoding="utf-8")
    print(json.dumps(row), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="300,10000,100000")
    parser.add_argument("--profiles", type=int, default=1000)
    parser.add_argument("--sample", type=int, default=200, help="profiles scored at 100,000 offers")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--spark", action="store_true", help="add the Spark engine (local[2]) rows")
    parser.add_argument("--flat", default="1000,30000", help="profile file lengths for the flat-memory rows ('': none)")
    parser.add_argument("--no-real", dest="real", action="store_false", help="leave out the real encoder's rows")
    parser.add_argument("--bare-up-to", type=int, default=100_000, help="largest catalog the bare kernels run on")
    args = parser.parse_args()
    started = time.time()
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT).stdout.strip()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for n in filter(None, args.sizes.split(",")):  # --sizes '': the table again from the kept figures
            row = measure_size(int(n), args.profiles, args.sample, args.runs, work, args.spark, args.bare_up_to)
            keep_row({**row, "commit": commit, "measured": time.strftime("%Y-%m-%d"),  # as soon as it is in
                      "standin": StandInEncoder.name})
        if args.real:  # kept like the sizes' rows: a run without it shows the latest measured
            real = {**real_encoder_row(work, min(args.profiles, 100), args.runs), "commit": commit,
                    "measured": time.strftime("%Y-%m-%d")}
            REAL_ROW.write_text(json.dumps(real) + "\n", encoding="utf-8")
        real = json.loads(REAL_ROW.read_text(encoding="utf-8")) if REAL_ROW.exists() else None
        flat = flat_memory(work, tuple(int(n) for n in args.flat.split(","))) if args.flat else []
    rows = kept_rows()
    text = table(rows, real) + ("\n\n" + flat_table(flat) if flat else "")
    text += "\n\nUpdate train, as `train` reported it: " + "; ".join(f"{r['offers']:,}: {r['update_said']}" for r in rows)
    text += (f"\n\nThe last run took {time.time() - started:.0f} s with `{' '.join(sys.argv[1:]) or 'defaults'}`; the "
             f"columns of other sizes are the latest measured (benchmarks/results_scale_rows.jsonl).")
    plot(rows, HERE / "scale.png")
    write_results("results_scale.md", "Scale: synthetic catalogs of 10,000 to 1,000,000 offers", "scale.py", text)


if __name__ == "__main__":
    main()
