"""Load on `spark serve`: concurrent simulated agents over loopback HTTP, 80% reads.

    python benchmarks/bench_load.py [--agents 16] [--seconds 30] [--max-ops 5000] [--out DIR]

A fresh store (a synthetic knowledge base, hash embedder, so the figures measure the
interfaces and the store, not a model) is served by a real `spark serve` subprocess.
Agents of four orgs, each a thread with its own Python client and writer key, pick
verbs at random: search, recommend, get_memory (reads, 80%), record_trace,
create_memory, share_feedback (writes, 20%), until the time or the operation budget
runs out. Each write the server acknowledged is then looked up in the store after the
server was killed with SIGKILL: a lost acknowledged write would be missing there.

Latency is reported per verb (p50, p99) beside a one-agent baseline run in the same
process against the same server, as the ratio p50(N agents) / p50(1 agent).
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import percentile, serve, write_report

from spark_memory.config import Settings
from spark_memory.errors import SparkError
from spark_memory.http.client import SparkClient
from spark_memory.models import LOCAL_PRINCIPAL, Principal, Role, Snippet, SnippetKind
from spark_memory.service import Spark
from spark_memory.store.sqlite import SqliteStore

READS = {"search": 0.40, "recommend": 0.20, "get_memory": 0.20}
WRITES = {"record_trace": 0.10, "create_memory": 0.05, "share_feedback": 0.05}
ORGS = ("acme", "globex", "initech", "umbrella")
LIBS = ("numpy", "pandas", "scipy", "sklearn", "matplotlib")
WORDS = [
    "array",
    "sort",
    "group",
    "merge",
    "join",
    "filter",
    "mean",
    "sum",
    "index",
    "column",
    "row",
    "plot",
    "axis",
    "fit",
    "transform",
    "predict",
    "scale",
    "reshape",
    "unique",
    "count",
    "pivot",
    "resample",
    "interpolate",
    "histogram",
    "figure",
    "legend",
    "label",
    "sparse",
    "matrix",
    "solve",
    "optimize",
    "cluster",
    "split",
]
TASKS = (
    "group a dataframe by a column and sum another",
    "sort an array and get the indices",
    "merge two frames on a key",
    "fit a classifier and predict labels",
    "plot a histogram with a legend",
    "solve a sparse linear system",
    "count unique values in a column",
)


# --- the served store ------------------------------------------------------------------------


@dataclass(frozen=True)
class Key:
    secret: str
    org: str
    agent: str  # the agent id the key belongs to


def seed(home: Path, snippets: int, rng: random.Random) -> list[Key]:
    """A synthetic knowledge base and writer keys, eight agents per org (orgs interleaved)."""
    settings = Settings.load(environ={"SPARK_EMBEDDER": "hash"}, home=home)
    with Spark.open(settings) as spark:
        docs = [_snippet(n, rng) for n in range(snippets)]
        for start in range(0, len(docs), 512):
            batch = docs[start : start + 512]
            vectors = spark.embedder.embed([d.embed_text for d in batch])
            spark.store.upsert_snippets(batch, vectors, spark.space)
        made = [
            spark.create_key(org, f"agent{n}", "writer", principal=LOCAL_PRINCIPAL)
            for n in range(8)
            for org in ORGS
        ]
    return [Key(k.secret, k.org_id, k.agent_id) for k in made]


def _snippet(n: int, rng: random.Random) -> Snippet:
    lib = LIBS[n % len(LIBS)]
    words = rng.sample(WORDS, 8)
    return Snippet.build(
        library=lib,
        version="1.0",
        symbol=f"{lib}.{words[0]}_{words[1]}_{n}",
        kind=SnippetKind.API,
        title=f"{words[0]} {words[1]}",
        text=" ".join(words) + f". Use {lib}.{words[0]}_{words[1]}_{n} to {' '.join(words[2:5])}.",
    )


# --- the agents ----------------------------------------------------------------------------------


@dataclass
class Acked:
    """Writes the server acknowledged, to look up afterwards."""

    traces: list[tuple[str, str, str]] = field(default_factory=list)  # id, org, agent
    insights: list[str] = field(default_factory=list)
    feedback: list[tuple[str, str]] = field(default_factory=list)  # id, target
    lock: threading.Lock = field(default_factory=threading.Lock)


@dataclass
class Run:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    server_errors: int = 0
    ops: int = 0
    seconds: float = 0.0
    acked: Acked = field(default_factory=Acked)
    lock: threading.Lock = field(default_factory=threading.Lock)


class Agent:
    def __init__(self, n: int, url: str, key: Key, run: Run, seed: int) -> None:
        self.n, self.key, self.run, self.acked = n, key, run, run.acked
        self.rng = random.Random(seed * 1000 + n)
        # No session header: a trace's served ids stay as sent, so its id is reproducible.
        self.client = SparkClient(url, key.secret, retries=0)
        self.known: list[str] = []  # ids this agent has seen (for get_memory and feedback)

    def warm_up(self) -> None:
        """One lesson of its own before the clock starts, so every verb has a target."""
        self.create_memory()

    def step(self) -> None:
        verb = self.rng.choices(list(VERBS), weights=list(VERBS.values()))[0]
        started = time.perf_counter()
        try:
            getattr(self, verb)()
        except SparkError as exc:
            with self.run.lock:
                self.run.errors[f"{verb}:{type(exc).__name__}"] += 1
                self.run.server_errors += exc.http_status >= 500
            return
        with self.run.lock:
            self.run.latencies[verb].append(time.perf_counter() - started)

    def search(self) -> None:
        hits = self.client.search(self.rng.choice(TASKS), k=5)
        self.known.extend(h.id for h in hits[:2])

    def recommend(self) -> None:
        rec = self.client.recommend(self.rng.choice(TASKS), budget_tokens=400)
        self.known.extend(c.id for c in rec.citations[:2])

    def get_memory(self) -> None:
        self.client.get_memory(self.rng.choice([i for i in self.known if i.startswith("ins_")]))

    def record_trace(self) -> None:
        task = f"{self.rng.choice(TASKS)} #{self.rng.getrandbits(40)}"
        receipt = self.client.record_trace(task, outcome=self.rng.choice(["passed", "failed"]))
        with self.acked.lock:
            self.acked.traces.append((receipt.id, self.key.org, self.key.agent))

    def create_memory(self) -> None:
        title = f"Lesson {self.n}-{self.rng.getrandbits(40)}"
        receipt = self.client.create_memory(title, f"{self.rng.choice(TASKS)}: check shapes first.")
        self.known.append(receipt.id)
        with self.acked.lock:
            self.acked.insights.append(receipt.id)

    def share_feedback(self) -> None:
        target = self.rng.choice(self.known)
        receipt = self.client.share_feedback(target, relevant=self.rng.random() < 0.8)
        if receipt.status == "created":
            with self.acked.lock:
                self.acked.feedback.append((receipt.id, target))


VERBS = {**READS, **WRITES}


def drive(url: str, keys: list[Key], agents: int, seconds: float, max_ops: int, seed: int) -> Run:
    run = Run()
    crew = [Agent(n, url, keys[n % len(keys)], run, seed) for n in range(agents)]
    for agent in crew:
        agent.warm_up()
    budget = iter(range(max_ops))
    budget_lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def work(agent: Agent) -> None:
        while time.monotonic() < deadline:
            with budget_lock:
                if next(budget, None) is None:
                    return
            agent.step()

    started = time.monotonic()
    threads = [threading.Thread(target=work, args=(a,)) for a in crew]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    run.seconds = time.monotonic() - started
    run.ops = sum(len(v) for v in run.latencies.values()) + sum(run.errors.values())
    for agent in crew:
        agent.client.close()
    return run


# --- verification and report ---------------------------------------------------------------------


def lost_writes(home: Path, acked: Acked) -> dict[str, int]:
    """Acknowledged writes missing from the store (read after the server was killed)."""
    store = SqliteStore(Settings.load(environ={}, home=home).db_path)
    try:
        traces = sum(
            1
            for trace_id, org, agent in acked.traces
            if not _has_trace(
                store, trace_id, Principal(org_id=org, agent_id=agent, role=Role.READER)
            )
        )
        found = store.unscoped_insights(acked.insights)
        insights = sum(1 for i in acked.insights if i not in found)
        feedback = sum(
            1
            for fid, target in acked.feedback
            if fid not in {f.id for f in store.list_feedback(target)}
        )
    finally:
        store.close()
    return {"traces": traces, "insights": insights, "feedback": feedback}


def _has_trace(store: SqliteStore, trace_id: str, principal: Principal) -> bool:
    try:
        store.get_trace(trace_id, principal)
    except SparkError:
        return False
    return True


def table(run: Run, baseline: Run) -> list[dict[str, Any]]:
    rows = []
    for verb in VERBS:
        lat = run.latencies.get(verb, [])
        base = baseline.latencies.get(verb, [])
        p50 = percentile(lat, 0.50) * 1000
        rows.append(
            {
                "verb": verb,
                "kind": "read" if verb in READS else "write",
                "count": len(lat),
                "p50_ms": round(p50, 2),
                "p99_ms": round(percentile(lat, 0.99) * 1000, 2),
                "baseline_p50_ms": round(percentile(base, 0.50) * 1000, 2),
                "p50_ratio": round(p50 / (percentile(base, 0.50) * 1000), 2) if base else None,
            }
        )
    return rows


def markdown(report: dict[str, Any]) -> str:
    lines = [
        "# Load benchmark",
        "",
        f"{report['agents']} agents, {report['ops']} operations in {report['seconds']:.1f} s"
        f" ({report['ops_per_second']:.0f}/s), {report['snippets']} snippets;"
        f" server errors {report['server_errors']}; lost acknowledged writes {report['lost']}",
        "",
        "| verb | kind | count | p50 ms | p99 ms | 1-agent p50 ms | p50 ratio |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for r in report["verbs"]:
        lines.append(
            f"| {r['verb']} | {r['kind']} | {r['count']} | {r['p50_ms']} | {r['p99_ms']}"
            f" | {r['baseline_p50_ms']} | {r['p50_ratio']} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--max-ops", type=int, default=5000)
    parser.add_argument("--baseline-ops", type=int, default=200)
    parser.add_argument("--snippets", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="spark-load-") as tmp:
        report = measure(Path(tmp), args)
    if args.out is not None:
        print(write_report(args.out, "load", report, markdown))
    else:
        print(markdown(report))
    return 0 if report["server_errors"] == 0 and sum(report["lost"].values()) == 0 else 1


def measure(home: Path, args: argparse.Namespace) -> dict[str, Any]:
    keys = seed(home, args.snippets, random.Random(args.seed))
    served = serve(home)
    try:
        baseline = drive(served.url, keys, 1, args.seconds, args.baseline_ops, args.seed + 1)
        run = drive(served.url, keys, args.agents, args.seconds, args.max_ops, args.seed)
    finally:
        served.kill()
    acked = run.acked
    lost = lost_writes(home, acked)
    base_lost = lost_writes(home, baseline.acked)
    return {
        "agents": args.agents,
        "snippets": args.snippets,
        "ops": run.ops,
        "seconds": run.seconds,
        "ops_per_second": run.ops / run.seconds if run.seconds else 0.0,
        "server_errors": run.server_errors + baseline.server_errors,
        "errors": dict(run.errors),
        "acknowledged": {
            "traces": len(acked.traces),
            "insights": len(acked.insights),
            "feedback": len(acked.feedback),
        },
        "lost": {k: lost[k] + base_lost[k] for k in lost},
        "verbs": table(run, baseline),
    }


if __name__ == "__main__":
    raise SystemExit(main())
