"""Batch scoring: throughput and peak memory of `matcher score` on a short and a ten times longer profile file.

Memory must stay flat (the file is streamed in chunks), so the peak RSS ratio should be close to 1.

    python benchmarks/batch.py [--small 150] [--runs 3]
"""
from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from labeled import ensure_model, write_results  # noqa: E402


def write_profiles(path: Path, n: int) -> None:
    survey = [json.loads(x) for x in (ROOT / "data" / "survey_profiles.jsonl").read_text(encoding="utf-8").splitlines()]
    with open(path, "w", encoding="utf-8") as f:
        for i in range(n):
            f.write(json.dumps({**survey[i % len(survey)], "id": f"b{i}"}, ensure_ascii=False) + "\n")


def run(model: Path, profiles: Path, out: Path) -> tuple[float, int]:
    """(seconds, peak RSS in MiB) of one `matcher score` run, measured by GNU time."""
    t = time.perf_counter()
    proc = subprocess.run(["/usr/bin/time", "-v", sys.executable, "-m", "matcher.cli", "score", str(profiles),
                           "--model", str(model), "--out", str(out)], capture_output=True, text=True, cwd=ROOT)
    elapsed = time.perf_counter() - t
    assert proc.returncode == 0, proc.stderr
    rss_kib = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", proc.stderr).group(1))
    return elapsed, rss_kib // 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--small", type=int, default=150)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    model = ensure_model()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in (args.small, args.small * 10):
            src = Path(tmp) / f"p{n}.jsonl"
            write_profiles(src, n)
            runs = [run(model, src, Path(tmp) / "out.jsonl") for _ in range(args.runs)]
            seconds = statistics.median(r[0] for r in runs)
            rows.append((n, seconds, n / seconds, statistics.median(r[1] for r in runs)))
    lines = ["| profiles | seconds | profiles/s | peak RSS MiB |", "|---|---|---|---|"]
    lines += [f"| {n} | {s:.1f} | {rate:.1f} | {rss} |" for n, s, rate, rss in rows]
    lines += ["", f"Peak RSS ratio (10x the profiles): {rows[1][3] / rows[0][3]:.2f} (flat memory: close to 1). "
              f"Medians of {args.runs} runs; each run includes start-up (model load, about 2 s)."]
    write_results("results_batch.md", "Batch benchmark", "batch.py", "\n".join(lines))


if __name__ == "__main__":
    main()
