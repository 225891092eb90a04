"""Reliability of the service, measured: overload held with admission control (1 and 2 workers), a retrained
and then a broken model swapped in under load, `train` killed at random moments, and the counts of the fuzz,
schemathesis and XSS cases the test suite runs. Writes benchmarks/reliability.md.

    python benchmarks/reliability.py [--clients 50] [--seconds 60]

Everything on loopback; clients and server share the machine's 2 cores.
"""
from __future__ import annotations

import argparse
import asyncio
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

# benchmarks/http.py is named like the standard library's http package (which httpx needs): keep this folder off
# the import path and import the benchmarks as a package
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
sys.path.insert(0, str(_HERE.parent))

import httpx  # noqa: E402

from benchmarks.labeled import CATALOG, ROOT, ensure_model, load_profiles, write_results  # noqa: E402
from benchmarks.serving import free_port, pct, start  # noqa: E402
from matcher import ModelLoadError, load  # noqa: E402

SERVE = [sys.executable, "-m", "matcher.cli", "serve"]
TRAIN = [sys.executable, "-m", "matcher.cli", "train"]


def distinct_bodies(n: int) -> list[dict]:
    """n requests with needs no two alike: the bundled profiles, each asked in many variants."""
    _, raws = load_profiles()
    return [{"profile": {"role_title": r.get("role_title"), "needs": f"{r['needs']} (Anfrage {i})"}, "top_k": 10}
            for i, r in ((i, raws[i % len(raws)]) for i in range(n))]


async def hold(base: str, clients: int, seconds: float, during=None, cap: float = 600) -> dict:
    """`clients` clients post distinct needs for `seconds`, each waiting as long as a 503's Retry-After asks;
    meanwhile /health is probed four times a second. `during(elapsed)` acts on the server meanwhile, every half
    second, and the run goes on (up to `cap` seconds) until it returns True."""
    bodies = distinct_bodies(50_000)
    counter = iter(range(len(bodies)))
    out = {"admitted": [], "shed": 0, "errors": [], "health": []}
    began = time.perf_counter()
    stop = began + seconds
    acted = {"done": during is None}

    def running() -> bool:
        now = time.perf_counter()
        return now < began + cap and (now < stop or not acted["done"])

    async def client(http):
        while running():
            t = time.perf_counter()
            try:
                r = await http.post(base + "/recommendations", json=bodies[next(counter)])
            except httpx.HTTPError as exc:
                out["errors"].append(type(exc).__name__)
                continue
            if r.status_code == 200:
                out["admitted"].append((time.perf_counter() - t) * 1000)
            elif r.status_code == 503 and r.headers.get("retry-after", "").isdigit():
                out["shed"] += 1
                await asyncio.sleep(min(float(r.headers["retry-after"]), 5))
            else:
                out["errors"].append(f"{r.status_code} {r.text[:80]}")

    async def probe(http):
        while running():
            t = time.perf_counter()
            r = await http.get(base + "/health")
            out["health"].append((time.perf_counter() - t) * 1000 if r.status_code == 200 else float("inf"))
            await asyncio.sleep(0.25)

    async def act():
        while not acted["done"] and running():
            acted["done"] = await during(time.perf_counter() - began)
            await asyncio.sleep(0.5)

    limits = httpx.Limits(max_connections=clients + 2, max_keepalive_connections=clients + 2)
    async with httpx.AsyncClient(limits=limits, timeout=60) as http:
        await asyncio.gather(*(client(http) for _ in range(clients)), probe(http), act())
    out["seconds"] = time.perf_counter() - began
    return out


def load_row(name: str, out: dict) -> list:
    seconds = out["seconds"]
    total = len(out["admitted"]) + out["shed"] + len(out["errors"])
    kinds = Counter(out["errors"])
    errors = f"{len(out['errors'])}" + (f" ({', '.join(f'{k}: {v}' for k, v in kinds.items())})" if kinds else "")
    return [name, total, len(out["admitted"]), out["shed"], errors,
            f"{len(out['admitted']) / seconds:.1f}", f"{pct(out['admitted'], 50):.0f}",
            f"{pct(out['admitted'], 99):.0f}", f"{pct(out['health'], 99):.1f}"]


def overload(model_dir: Path, clients: int, seconds: float) -> list[list]:
    rows = []
    for workers in (1, 2):
        port = free_port()
        proc = start([*SERVE, "--model", str(model_dir), "--port", str(port), "--workers", str(workers)],
                     {"KOMMUNE_MATCHER_CACHE_SIZE": "0"}, port)
        try:
            out = asyncio.run(hold(f"http://127.0.0.1:{port}", clients, seconds))
        finally:
            proc.terminate()
            proc.wait()
        rows.append(load_row(f"{clients} clients, {workers} worker{'s' * (workers > 1)}, {out['seconds']:.0f} s", out))
    return rows


def reload_under_load(model_dir: Path, clients: int, seconds: float) -> tuple[list, str]:
    """Under load: `matcher train` on a catalog of 20 offers fewer, and once that model is live, a copy with its
    artifact cut short swapped in the way `train` swaps; the run lasts until both are through and `seconds` more."""
    work = Path(tempfile.mkdtemp(prefix="km-reload-"))
    live = work / "model"
    shutil.copytree(model_dir.resolve(), work / ".model.v-first")
    live.symlink_to(".model.v-first")
    smaller = work / "catalog.jsonl"
    smaller.write_text("".join(CATALOG.read_text(encoding="utf-8").splitlines(keepends=True)[20:]), encoding="utf-8")
    first = len(load(model_dir).offers)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc = start([*SERVE, "--model", str(live), "--port", str(port)],
                 {"KOMMUNE_MATCHER_CACHE_SIZE": "0", "KOMMUNE_MATCHER_RELOAD_SECONDS": "1"}, port)
    seen, steps = [], {}

    async def during(elapsed):
        async with httpx.AsyncClient(timeout=10) as http:
            seen.append((await http.get(base + "/ready")).json().get("offers"))
        if "train" not in steps and elapsed > 2:
            steps["train"] = asyncio.create_task(asyncio.to_thread(
                subprocess.run, [*TRAIN, "--catalog", str(smaller), "--model", str(live)], capture_output=True))
        if "broken_at" not in steps and seen[-1] == first - 20:
            broken = work / ".model.v-broken"
            shutil.copytree(live.resolve(), broken)
            (broken / "model.joblib").write_bytes((broken / "model.joblib").read_bytes()[:5000])
            (work / "link").symlink_to(broken.name)
            (work / "link").replace(live)
            steps["broken_at"] = elapsed
        return "broken_at" in steps and elapsed > steps["broken_at"] + seconds

    try:
        out = asyncio.run(hold(base, clients, seconds, during))
    finally:
        proc.terminate()
        proc.wait()
        shutil.rmtree(work, ignore_errors=True)
    trained = steps.get("train")
    trained_ok = bool(trained and trained.done() and trained.result().returncode == 0)
    order = [n for i, n in enumerate(seen) if i == 0 or n != seen[i - 1]]
    note = (f"Offers the service reported over the reload run: {' -> '.join(map(str, order))}; `matcher train` "
            f"{'succeeded' if trained_ok else 'did not finish'} under the load; the truncated model was swapped in "
            + (f"{steps['broken_at']:.0f} s into the run and " if "broken_at" in steps else "never, and ")
            + f"the service reported {seen[-1]} offers at the end.")
    return load_row(f"{clients} clients, retrain then broken model swapped in, {out['seconds']:.0f} s", out), note


def kills(rounds: int, seed: int = 0) -> tuple[int, int]:
    """`train` SIGKILLed after a random delay, `rounds` times; how often the model still loaded whole."""
    rng = random.Random(seed)
    work = Path(tempfile.mkdtemp(prefix="km-kill-"))
    tiny = ROOT / "tests" / "data" / "tiny_catalog.jsonl"
    subprocess.run([*TRAIN, "--catalog", str(tiny), "--model", str(work / "m")], check=True, capture_output=True)
    survived = 0
    try:
        for _ in range(rounds):
            proc = subprocess.Popen([*TRAIN, "--catalog", str(tiny), "--model", str(work / "m")],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(rng.uniform(0.05, 6.0))
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            try:
                survived += len(load(work / "m").offers) == 14
            except ModelLoadError:  # counted as not survived
                pass
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return survived, rounds


def suite_cases() -> list[list]:
    """The hostile-input tests of the suite, run here, with what each of them tries."""
    rows = []
    for path, tries in (("tests/test_schemathesis.py", "every operation, 40 valid and 40 invalid generated cases"),
                        ("tests/test_api_fuzz.py", "arbitrary JSON bodies and query strings (hypothesis)"),
                        ("tests/test_reader_fuzz.py", "random bytes, JSON, CSV dialects and encodings, "
                                                      "100 examples each (hypothesis)"),
                        ("tests/test_xss.py", "7 payloads in every catalog text field and form field, 5 pages "
                                              "and 2 HTML reports in Chromium")):
        done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", path], cwd=ROOT,
                              capture_output=True, text=True)
        summary = re.findall(r"(\d+ (?:passed|failed|skipped|error)\w*)", done.stdout)
        rows.append([path, tries, ", ".join(summary) or done.stdout[-200:], f"`python -m pytest {path}`"])
    return rows


def table(header: list[str], rows: list[list]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(str(c) for c in row) + " |" for row in rows])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--kills", type=int, default=20)
    args = parser.parse_args()
    model_dir = ensure_model()
    header = ["load, seconds", "requests", "admitted (200)", "shed (503)", "errors", "admitted/s", "p50 ms admitted",
              "p99 ms admitted", "/health p99 ms"]
    rows = overload(model_dir, args.clients, args.seconds)
    reload_row, reload_note = reload_under_load(model_dir, args.clients // 2, args.seconds)
    survived, rounds = kills(args.kills)
    text = "\n\n".join([
        "### Load held (default `--max-waiting`; shed clients wait as long as `Retry-After` says)",
        table(header, rows + [reload_row]),
        reload_note + f" Command: `python benchmarks/reliability.py --clients {args.clients} --seconds "
                      f"{args.seconds:g}`.",
        "### Faults",
        f"`train` killed with SIGKILL at {rounds} random moments (0.05 to 6 s in): the previous or the new model "
        f"loaded whole {survived} of {rounds} times (tests/test_faults.py runs the same in a loop, with a full "
        "disk and a broken model swapped in).",
        "### Hostile input, as the suite runs it",
        table(["tests", "what they try", "result", "reproduce"], suite_cases()),
    ])
    write_results("reliability.md", "Reliability benchmark", "reliability.py", text)


if __name__ == "__main__":
    main()
