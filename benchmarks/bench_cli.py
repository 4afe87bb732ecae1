"""The CLI and the prompt hook as agents and users meet them: whole-process wall time.

    python benchmarks/bench_cli.py [--home DIR] [--runs 15] [--json FILE]

On a built knowledge base (default $SPARK_HOME; build one with `spark kb ingest`), it
times, as fresh `spark` processes:

- `spark --help`;
- `spark search QUERY` with no server running (cold: the process opens the store and
  loads the embedder itself) -- the baseline every other figure is divided by;
- the prompt hook (`spark hook prompt`, a prompt as JSON on stdin) with no server;
- then, with a `spark serve` running on the same home (it publishes its address in
  server.json; a reader key in $SPARK_API_KEY), `spark search` and the prompt hook again,
  now answered through the server.

Each line prints the median and p95 over ``--runs`` runs (queries and prompts cycle
through a fixed list) and the ratio of its median to the cold `spark search` median
measured in the same run. The hook's target is p95 <= 1 s through a server.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

SPARK = str(Path(sys.executable).with_name("spark"))
QUERIES = [
    "group a dataframe by two columns and sum",
    "sort an array and return the indices",
    "fit a logistic regression with class weights",
    "interpolate missing values in a time series",
    "solve a sparse linear system",
    "draw a histogram with a log scale",
]
PROMPTS = [
    "In pandas, how do I replace values that occur fewer than 3 times in a column with 'other'?",
    "My numpy code raises 'operands could not be broadcast together with shapes (3,4) (3,)'."
    " How do I add a column vector to each column?",
    "Fit a RandomForestClassifier in scikit-learn and report the feature importances sorted.",
    "With scipy, find the minimum of a function of two variables with bounds on both.",
    "Make a matplotlib figure with two subplots sharing the x axis and a single legend.",
    "Compute a rolling 7-day mean per group in a pandas DataFrame indexed by date.",
]


def timed(command: list[str], env: dict[str, str], stdin: str | None = None) -> float:
    start = time.perf_counter()
    done = subprocess.run(
        command, env=env, input=stdin, capture_output=True, text=True, check=False, timeout=300
    )
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"{command} exited {done.returncode}: {done.stderr[-2000:]}")
    return elapsed


def series(runs: int, one: Callable[[int], float]) -> list[float]:
    one(0)  # warm the page cache: every figure is a warm-disk one
    return [one(i) for i in range(runs)]


def summary(times: list[float]) -> dict[str, float]:
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {"median": statistics.median(ordered), "p95": p95, "runs": len(ordered)}


def start_server(env: dict[str, str], home: Path) -> subprocess.Popen[str]:
    log = (home / "bench-cli-serve.log").open("w")
    proc = subprocess.Popen(
        [SPARK, "serve", "--no-kb", "--port", "0", "--curate-every", "0"],
        env={**env, "SPARK_RATE_LIMIT": "0"},
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
    )
    deadline = time.monotonic() + 300
    while not (home / "server.json").exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"spark serve did not start: see {log.name}")
        time.sleep(0.2)
    return proc


def reader_key(env: dict[str, str]) -> str:
    done = subprocess.run(
        [
            SPARK,
            "keys",
            "create",
            "--org",
            "bench",
            "--agent",
            "bench-cli",
            "--role",
            "reader",
            "--json",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    data: dict[str, Any] = json.loads(done.stdout)
    return str(data["secret"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, default=None, help="default $SPARK_HOME")
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args()
    home = (args.home or Path(os.environ.get("SPARK_HOME", Path.home() / ".spark"))).resolve()
    base = {k: v for k, v in os.environ.items() if k != "SPARK_API_KEY"}
    env = {**base, "SPARK_HOME": str(home)}
    runs = args.runs
    hook = [SPARK, "hook", "prompt"]

    def prompt(i: int) -> str:
        return json.dumps({"prompt": PROMPTS[i % len(PROMPTS)]})

    figures: dict[str, dict[str, float]] = {}
    figures["spark --help"] = summary(series(runs, lambda i: timed([SPARK, "--help"], env)))
    figures["spark search, cold (baseline)"] = summary(
        series(runs, lambda i: timed([SPARK, "search", QUERIES[i % len(QUERIES)]], env))
    )
    figures["prompt hook, no server"] = summary(series(runs, lambda i: timed(hook, env, prompt(i))))
    key = reader_key(env)
    served = {**env, "SPARK_API_KEY": key}
    server = start_server(served, home)
    try:
        figures["spark search, through the server"] = summary(
            series(runs, lambda i: timed([SPARK, "search", QUERIES[i % len(QUERIES)]], served))
        )
        figures["prompt hook, through the server"] = summary(
            series(runs, lambda i: timed(hook, served, prompt(i)))
        )
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)
    baseline = figures["spark search, cold (baseline)"]["median"]
    print(f"home: {home}; {runs} runs each; ratio = median / cold `spark search` median")
    print(f"{'what':<36} {'median':>9} {'p95':>9} {'ratio':>7}")
    for name, fig in figures.items():
        fig["ratio"] = fig["median"] / baseline
        print(f"{name:<36} {fig['median']:>8.3f}s {fig['p95']:>8.3f}s {fig['ratio']:>7.2f}")
    hook_p95 = figures["prompt hook, through the server"]["p95"]
    print(f"hook p95 through the server: {hook_p95:.3f} s (target <= 1 s)")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
