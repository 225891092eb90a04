"""HTTP latency and throughput of POST /recommendations, side by side with the same work in process and a
hello-world FastAPI endpoint under the same server settings (the framework's ceiling); and of
POST /recommendations/group for the labeled teams (3 to 5 members), in process and through the service.

    python benchmarks/http.py [--runs 3] [--requests 150]

Everything runs on loopback; client loops are bounded in count. Medians over runs are reported.
"""
from __future__ import annotations

import sys
from pathlib import Path

# This script is named like the standard library's http package: keep its folder off the import path.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
sys.path.insert(0, str(_HERE.parent))

import argparse  # noqa: E402
import asyncio  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402

import httpx  # noqa: E402

from benchmarks.labeled import ROOT, ensure_model, load_profiles, write_results  # noqa: E402
from benchmarks.serving import free_port, pct, start  # noqa: E402
from matcher import load, parse_profile, recommend  # noqa: E402
from matcher.teams import recommend_group  # noqa: E402


async def load_run(url: str, bodies: list[dict], n: int, concurrency: int) -> tuple[float, list[float]]:
    """(requests per second, latencies in ms) for n requests at a fixed concurrency."""
    latencies: list[float] = []
    counter = iter(range(n))

    async def worker(client):
        for i in counter:
            t = time.perf_counter()
            r = await client.post(url, json=bodies[i % len(bodies)])
            latencies.append((time.perf_counter() - t) * 1000)
            assert r.status_code == 200, r.text

    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(limits=limits, timeout=60) as client:
        await client.post(url, json=bodies[0])  # warm up the connection and the model
        start_t = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
        elapsed = time.perf_counter() - start_t
    return n / elapsed, latencies


def in_process(name: str, call, args) -> list:
    """A results row for call(i) run args.requests times in this process, medians over args.runs."""
    call(0)  # warm up
    runs = []
    for _ in range(args.runs):
        lat = []
        t0 = time.perf_counter()
        for i in range(args.requests):
            t = time.perf_counter()
            call(i)
            lat.append((time.perf_counter() - t) * 1000)
        runs.append((args.requests / (time.perf_counter() - t0), lat))
    return [name, 1, statistics.median(r for r, _ in runs), statistics.median(pct(l, 50) for _, l in runs),
            statistics.median(pct(l, 99) for _, l in runs)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--requests", type=int, default=150)
    args = parser.parse_args()
    model_dir = ensure_model()
    profiles, raws = load_profiles()
    visible = ("role_title", "fields", "needs", "region", "format_preference")
    bodies = [{"profile": {k: r[k] for k in visible if r.get(k) is not None}, "top_k": 10} for r in raws]

    teams = [json.loads(line) for line in (ROOT / "benchmarks" / "data" / "teams.jsonl").read_text(
        encoding="utf-8").splitlines() if line.strip()]
    team_bodies = [{"members": [{k: m[k] for k in visible if m.get(k) is not None} for m in t["members"]],
                    "top_k": 10} for t in teams]
    team_profiles = [[parse_profile(m) for m in body["members"]] for body in team_bodies]

    # In process: the work a request cannot avoid.
    model = load(model_dir)
    rows = [in_process("in process (recommend)", lambda i: recommend(model, profiles[i % len(profiles)], 10), args),
            in_process("in process (recommend_group, team)",
                       lambda i: recommend_group(model, team_profiles[i % len(team_profiles)], 10), args)]
    servers = {
        # admission control off (--max-waiting 1000), so that these rows measure the engine's queue as it is;
        # benchmarks/reliability.py measures the service with it on
        "service, no cache": ([sys.executable, "-m", "matcher.cli", "serve", "--model", str(model_dir),
                               "--max-waiting", "1000"],
                              {"KOMMUNE_MATCHER_CACHE_SIZE": "0", "KOMMUNE_MATCHER_QUERY_CACHE_SIZE": "0"}),
        "hello-world FastAPI": ([sys.executable, "-m", "uvicorn", "benchmarks.hello_app:app", "--log-level",
                                 "warning"], {}),
    }
    cached_p50 = None
    for name, (cmd, env) in servers.items():
        port = free_port()
        cmd = cmd + ["--port", str(port)]
        proc = start(cmd, env, port)
        url = f"http://127.0.0.1:{port}/recommendations"
        try:
            for concurrency in (1, 4, 32):
                runs = [asyncio.run(load_run(url, bodies, args.requests, concurrency)) for _ in range(args.runs)]
                rows.append([name, concurrency, statistics.median(r for r, _ in runs),
                             statistics.median(pct(l, 50) for _, l in runs),
                             statistics.median(pct(l, 99) for _, l in runs)])
            if name == "service, no cache":
                group_url = f"http://127.0.0.1:{port}/recommendations/group"
                runs = [asyncio.run(load_run(group_url, team_bodies, args.requests, 1)) for _ in range(args.runs)]
                rows.append(["service, no cache, team (/recommendations/group)", 1,
                             statistics.median(r for r, _ in runs), statistics.median(pct(l, 50) for _, l in runs),
                             statistics.median(pct(l, 99) for _, l in runs)])
        finally:
            proc.terminate()
            proc.wait()

    # A shared result URL: the same request again, answered from the cache.
    port = free_port()
    proc = start([sys.executable, "-m", "matcher.cli", "serve", "--model", str(model_dir), "--port", str(port)],
                 {}, port)
    try:
        url = f"http://127.0.0.1:{port}/recommendations"
        runs = [asyncio.run(load_run(url, bodies[:1], args.requests, 1)) for _ in range(args.runs)]
        rows.append(["service, repeated request (cache)", 1, statistics.median(r for r, _ in runs),
                     statistics.median(pct(l, 50) for _, l in runs), statistics.median(pct(l, 99) for _, l in runs)])
        cached_p50 = rows[-1][3]
    finally:
        proc.terminate()
        proc.wait()

    lines = ["| setup | connections | requests/s | p50 ms | p99 ms |", "|---|---|---|---|---|"]
    lines += [f"| {r[0]} | {r[1]} | {r[2]:.1f} | {r[3]:.1f} | {r[4]:.1f} |" for r in rows]
    service = {r[1]: r for r in rows if r[0] == "service, no cache"}
    best_service = max(r[2] for r in service.values())
    lines.append("")
    lines.append(f"Service / in-process throughput: {best_service / rows[0][2]:.2f} (best of 1/4/32 connections; "
                 "target >= 0.8). Service p50 with one client: "
                 f"{service[1][3]:.1f} ms (target < 40 ms). Repeated request p50: {cached_p50:.1f} ms (target < 5 ms).")
    team_inproc, team_service = rows[1], next(r for r in rows if r[0].startswith("service, no cache, team"))
    lines.append(f"Teams ({len(teams)} labeled teams of 3 to 5, each member's needs and the shared need encoded): "
                 f"p50 {team_inproc[3]:.1f} ms in process, {team_service[3]:.1f} ms through the service "
                 f"(service / in-process throughput {team_service[2] / team_inproc[2]:.2f}).")
    lines.append(f"{args.runs} runs of {args.requests} requests each, medians; client and server share the "
                 "machine's 2 cores.")
    write_results("results_http.md", "HTTP benchmark", "http.py", "\n".join(lines))


if __name__ == "__main__":
    main()
