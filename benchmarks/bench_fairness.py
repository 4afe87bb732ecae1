"""Fairness: does one org's flood of maximum-size writes slow another org's searches?

    python benchmarks/bench_fairness.py [--seconds 18] [--window 6] [--writers 8] [--out reports]

A real `spark serve` (SQLite, hash embedder, a 2,000-snippet synthetic knowledge base)
on loopback. Org "globex" searches one request at a time and records each latency.
Two phases, each on its own server, same settings apart from the rate:

- rate by cost (the default: 50 units/s, burst 100; a request costs 1 unit, plus 1 per
  8 KiB of body, plus 1 per 2 ms of CPU time its work took; one large request per org
  at a time);
- no rate limit (``SPARK_RATE_LIMIT=0``).

In each phase, quiet windows (globex searches alone: the baseline) and flooded windows
(org "acme" runs ``--writers`` threads sending maximum-size traces, four 64,000-character
fields of code-like text with credential-looking lines, as fast as they are let through;
measured from 3 s into the flood) take turns, ``--window`` seconds each, until each kind
has ``--seconds``. Taking them in turn puts the machine's other load (it is shared) on
both alike.

Reported: globex's search p50 and p95 quiet and flooded, the flooded p95 over the quiet
p95 (the target: within 2x with the rate by cost), with acme's accepted and refused
writes.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import random
import statistics
import sys
import tempfile
import threading
import time
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Event as MpEvent
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_load import seed
from harness import percentile, serve, write_report

from spark_memory.models import MAX_TEXT_CHARS

WARMUP = 3.0  # seconds of flood before a flooded window: acme's banked burst is spent
QUERIES = ["sort an array", "group and sum", "merge two frames", "plot a column", "mean by axis"]


def big_text(rng: random.Random) -> str:
    lines: list[str] = []
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


def flood(url: str, keys: list[str], ready: MpEvent, stop: MpEvent) -> dict[str, int]:
    """Acme's writers, each sending maximum-size traces until ``stop`` (a 429 is waited out)."""
    counts = {"accepted": 0, "refused": 0, "other": 0}
    lock = threading.Lock()
    bodies = [_encoded_fields(random.Random(n)) for n in range(len(keys))]

    def writer(n: int) -> None:
        rng = random.Random(n)
        headers = {"Authorization": f"Bearer {keys[n]}", "Content-Type": "application/json"}
        with httpx.Client(timeout=120) as client:
            while not stop.is_set():
                task = json.dumps(f"a maximum-size trace {rng.random()}").encode()
                content = b'{"task": ' + task + b", " + bodies[n][1:]
                try:
                    reply = client.post(f"{url}/v1/traces", content=content, headers=headers)
                except httpx.HTTPError:
                    with lock:
                        counts["other"] += 1
                    continue
                kind = {200: "accepted", 429: "refused"}.get(reply.status_code, "other")
                with lock:
                    counts[kind] += 1
                if reply.status_code == 429:
                    stop.wait(float(reply.headers.get("Retry-After", "1")))

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(len(keys))]
    for thread in threads:
        thread.start()
    ready.set()
    for thread in threads:
        thread.join()  # writes in flight finish before the next quiet window
    return counts


def _encoded_fields(rng: random.Random) -> bytes:
    """A trace's body but its task, as JSON, encoded once: the flood spends its own CPU
    on sending, not on encoding the same 256 KB again."""
    body = {f: big_text(rng) for f in ("code", "test_output", "error", "correction")}
    return json.dumps({"outcome": "failed", **body}).encode()


def _flood_process(
    url: str, keys: list[str], ready: MpEvent, stop: MpEvent, out: Queue[dict[str, int]]
) -> None:
    out.put(flood(url, keys, ready, stop))


def phase(
    url: str, search_key: str, flood_keys: list[str], seconds: float, window: float
) -> dict[str, Any]:
    """Quiet and flooded windows of globex's searches in turn, ``window`` seconds each,
    until each kind has ``seconds``: the machine is shared, and whatever else it runs
    meanwhile falls on both kinds alike. A flooded window is measured from WARMUP
    seconds into the flood, once acme has spent what its bucket banked while quiet.
    Acme floods from a process of its own, as another client would: its threads do not
    compete with globex's for this process's interpreter."""
    quiet: list[float] = []
    loaded: list[float] = []
    writes = {"accepted": 0, "refused": 0, "other": 0}
    spawn = multiprocessing.get_context("spawn")
    for _ in range(max(1, round(seconds / window))):
        quiet += searches(url, search_key, window)
        ready, stop, out = spawn.Event(), spawn.Event(), spawn.Queue()
        flooder = spawn.Process(target=_flood_process, args=(url, flood_keys, ready, stop, out))
        flooder.start()
        ready.wait(120)
        time.sleep(WARMUP)
        loaded += searches(url, search_key, window)
        stop.set()
        counts: dict[str, int] = out.get(timeout=300)
        flooder.join()
        writes = {k: writes[k] + counts.get(k, 0) for k in writes}
    return {
        "unloaded": summary(quiet),
        "flooded": summary(loaded),
        "p95_over_unloaded": round(percentile(loaded, 0.95) / percentile(quiet, 0.95), 2),
        "writes": writes,
    }


def summary(latencies: list[float]) -> dict[str, Any]:
    return {
        "searches": len(latencies),
        "p50_ms": round(statistics.median(latencies) * 1000, 1),
        "p95_ms": round(percentile(latencies, 0.95) * 1000, 1),
    }


PHASES = (("rate by cost", "50"), ("no rate limit", "0"))


def run(args: argparse.Namespace) -> dict[str, Any]:
    report: dict[str, Any] = {"seconds": args.seconds, "writers": args.writers}
    report["window"] = args.window
    for label, rate in PHASES:
        with tempfile.TemporaryDirectory() as tmp:
            home = Path(tmp)
            keys = seed(home, 2000, random.Random(3))
            served = serve(home, "--no-mcp", log=f"serve-{rate}.log", SPARK_RATE_LIMIT=rate)
            try:
                acme = [k.secret for k in keys if k.org == "acme"][: args.writers]
                globex = next(k.secret for k in keys if k.org == "globex")
                report[label] = phase(served.url, globex, acme, args.seconds, args.window)
            finally:
                served.kill()
    return report


def markdown(report: dict[str, Any]) -> str:
    rows = [
        "# Fairness benchmark",
        "",
        f"globex searches one at a time, {report['seconds']} s quiet and {report['seconds']} s"
        f" flooded per phase, in {report['window']} s windows taken in turn; acme floods with"
        f" {report['writers']} threads of maximum-size traces.",
        "",
        "| phase | unloaded p50 / p95 | flooded p50 / p95 | p95 / unloaded p95 | acme writes"
        " accepted / refused |",
        "|---|---|---|---|---|",
    ]
    for label, _ in PHASES:
        r = report[label]
        quiet, flooded, writes = r["unloaded"], r["flooded"], r["writes"]
        rows.append(
            f"| {label} | {quiet['p50_ms']} / {quiet['p95_ms']} ms | {flooded['p50_ms']} /"
            f" {flooded['p95_ms']} ms | {r['p95_over_unloaded']} |"
            f" {writes['accepted']} / {writes['refused']} |"
        )
    return "\n".join(rows) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=18.0)
    parser.add_argument("--window", type=float, default=6.0)
    parser.add_argument("--writers", type=int, default=8)
    parser.add_argument("--out", type=Path, default=Path("reports"))
    args = parser.parse_args(argv)
    print(write_report(args.out, "fairness", run(args), markdown))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
