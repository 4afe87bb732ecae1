"""Fairness: does one org's flood of maximum-size writes slow another org's searches?

    python benchmarks/bench_fairness.py [--seconds 20] [--writers 8] [--out reports]

A real `spark serve` (SQLite, hash embedder, a 2,000-snippet synthetic knowledge base)
on loopback. Org "globex" searches one request at a time and records each latency.
Three phases, same server settings apart from the rate, each run in this process:

- unloaded: globex searches alone (the baseline);
- flood, rate by cost (the default, 50 units/s, burst 100): org "acme" runs
  ``--writers`` threads sending maximum-size traces (five 64,000-character fields of
  code-like text with credential-looking lines) as fast as they are let through;
- flood, no rate limit (``SPARK_RATE_LIMIT=0``): the same flood, nothing refused.

Reported: globex's search p50 and p95 per phase, and p95 over the unloaded p95 (the
target: within 2x with the rate by cost), with acme's accepted and refused writes.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_load import Served, percentile, seed

from spark_memory.models import MAX_TEXT_CHARS

QUERIES = ["sort an array", "group and sum", "merge two frames", "plot a column", "mean by axis"]


def serve(home: Path, rate: str) -> Served:
    import os
    import socket
    import subprocess

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    env = {
        **os.environ,
        "SPARK_HOME": str(home),
        "SPARK_EMBEDDER": "hash",
        "SPARK_RATE_LIMIT": rate,
        "SPARK_CURATION_INTERVAL": "0",
    }
    spark = str(Path(sys.executable).with_name("spark"))
    command = [spark, "serve", "--no-kb", "--no-mcp", "--port", str(port), "--log-level", "warning"]
    log = (home / f"serve-{rate}.log").open("wb")
    proc = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    served = Served(home, port, proc)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{served.url}/healthz", timeout=1).status_code == 200:
                return served
        except httpx.HTTPError:
            time.sleep(0.1)
    raise SystemExit("spark serve did not start")


def big_text(rng: random.Random) -> str:
    lines = []
    while sum(len(x) + 1 for x in lines) < MAX_TEXT_CHARS - 200:
        n = rng.randrange(10)
        if n == 0:
            lines.append(f"password = os.environ['DB_{rng.randrange(999)}']  # token key secret")
        elif n == 1:
            lines.append(f"df_{n} = df.groupby('col_{rng.randrange(50)}')['v'].transform('sum')")
        else:
            lines.append(" ".join(rng.choice(QUERIES).split()) + f" x{rng.randrange(10**6)} = y")
    return "\n".join(lines)[: MAX_TEXT_CHARS - 100]


def searches(url: str, key: str, seconds: float) -> list[float]:
    out: list[float] = []
    headers = {"Authorization": f"Bearer {key}"}
    end = time.monotonic() + seconds
    with httpx.Client(timeout=60) as client:
        n = 0
        while time.monotonic() < end:
            started = time.perf_counter()
            reply = client.post(f"{url}/v1/search", json={"query": QUERIES[n % 5]}, headers=headers)
            if reply.status_code == 200:
                out.append(time.perf_counter() - started)
            n += 1
    return out


def flood(url: str, keys: list[str], seconds: float, stop: threading.Event) -> dict[str, int]:
    counts = {"accepted": 0, "refused": 0, "other": 0}
    lock = threading.Lock()

    def writer(n: int) -> None:
        rng = random.Random(n)
        body = {"task": "a maximum-size trace", "outcome": "failed"}
        body |= {f: big_text(rng) for f in ("code", "test_output", "error", "correction")}
        headers = {"Authorization": f"Bearer {keys[n % len(keys)]}"}
        with httpx.Client(timeout=120) as client:
            while not stop.is_set():
                body["task"] = f"a maximum-size trace {rng.random()}"
                reply = client.post(f"{url}/v1/traces", json=body, headers=headers)
                kind = {200: "accepted", 429: "refused"}.get(reply.status_code, "other")
                with lock:
                    counts[kind] += 1
                if reply.status_code == 429:
                    stop.wait(float(reply.headers.get("Retry-After", "1")))

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(len(keys))]
    for thread in threads:
        thread.start()
    return _run(threads, counts, seconds, stop)


def _run(
    threads: list[threading.Thread], counts: dict[str, int], seconds: float, stop: threading.Event
) -> dict[str, int]:
    stop.wait(seconds)
    stop.set()
    for thread in threads:
        thread.join()
    return counts


def phase(url: str, search_key: str, flood_keys: list[str], seconds: float) -> dict[str, Any]:
    stop = threading.Event()
    result: dict[str, int] = {}
    flooder = None
    if flood_keys:
        flooder = threading.Thread(
            target=lambda: result.update(flood(url, flood_keys, seconds + 2, stop))
        )
        flooder.start()
        time.sleep(2)  # the flood is under way before measuring
    latencies = searches(url, search_key, seconds)
    if flooder is not None:
        stop.set()
        flooder.join()
    return {
        "searches": len(latencies),
        "p50_ms": round(statistics.median(latencies) * 1000, 1),
        "p95_ms": round(percentile(latencies, 0.95) * 1000, 1),
        "writes": result,
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    report: dict[str, Any] = {"seconds": args.seconds, "writers": args.writers}
    for label, rate in (("rate by cost", "50"), ("no rate limit", "0")):
        with tempfile.TemporaryDirectory() as tmp:
            home = Path(tmp)
            keys = seed(home, 2000, random.Random(3))
            served = serve(home, rate)
            try:
                acme = [k.secret for k in keys if k.org == "acme"][: args.writers]
                globex = next(k.secret for k in keys if k.org == "globex")
                if "unloaded" not in report:
                    report["unloaded"] = phase(served.url, globex, [], args.seconds)
                report[label] = phase(served.url, globex, acme, args.seconds)
            finally:
                served.kill()
    base = report["unloaded"]["p95_ms"]
    for label in ("rate by cost", "no rate limit"):
        report[label]["p95_over_unloaded"] = round(report[label]["p95_ms"] / base, 2)
    return report


def markdown(report: dict[str, Any]) -> str:
    rows = [
        "# Fairness benchmark",
        "",
        f"globex searches one at a time for {report['seconds']} s per phase; acme floods with"
        f" {report['writers']} threads of maximum-size traces.",
        "",
        "| phase | globex search p50 | p95 | p95 / unloaded p95 | acme writes accepted / refused |",
        "|---|---|---|---|---|",
    ]
    for label in ("unloaded", "rate by cost", "no rate limit"):
        r = report[label]
        ratio = r.get("p95_over_unloaded", 1.0)
        writes = r["writes"]
        done = f"{writes.get('accepted', 0)} / {writes.get('refused', 0)}" if writes else "-"
        rows.append(f"| {label} | {r['p50_ms']} ms | {r['p95_ms']} ms | {ratio} | {done} |")
    return "\n".join(rows) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--writers", type=int, default=8)
    parser.add_argument("--out", type=Path, default=Path("reports"))
    args = parser.parse_args(argv)
    report = run(args)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "fairness.json").write_text(json.dumps(report, indent=2), "utf-8")
    (args.out / "fairness.md").write_text(markdown(report), "utf-8")
    print(markdown(report))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
