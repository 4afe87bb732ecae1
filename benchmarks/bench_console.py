"""Page loads of the web console over a large store, beside /healthz in the same run.

    python benchmarks/bench_console.py [--snippets 50000] [--insights 5000] [--requests 40]
        [--kb-from SPARK_DB] [--store DIR] [--out DIR]

A fresh store (hash embedder, so the figures measure the console, the service and the
store, not a model): a knowledge base of ``--snippets`` snippets (synthetic, over seven
libraries and a 46-word vocabulary; or, with ``--kb-from``, the first ones of a real
knowledge base, read from that store's SQLite file without changing it),
``--insights`` lessons of one org (org and public scope; a tenth quarantined;
trust, feedback and traced sessions on some), a curation epoch. A real `spark serve`
subprocess serves it; one signed-in browser-like client (cookie, no JavaScript) loads
each page ``--requests`` times after two warm-up loads, and /healthz as often; an agent
client then calls /v1/search and /v1/recommend with the Ask page's query (what the Ask
page costs an agent over the API). Printed: p50 and p95 per page in ms, and p50 as a
multiple of /healthz's p50. Exits 1 when a page's p95 is 300 ms or more.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sqlite3
import subprocess
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from harness import percentile, serve

from spark_memory.config import Settings
from spark_memory.learning.admission import insight_text
from spark_memory.models import (
    LOCAL_PRINCIPAL,
    Insight,
    InsightKind,
    InsightStatus,
    Principal,
    Role,
    Scope,
    Snippet,
    SnippetKind,
    Trust,
    content_hash,
    utcnow,
)
from spark_memory.service import Spark

LIBS = ["numpy", "pandas", "scipy", "sklearn", "matplotlib", "torch", "tensorflow"]
WORDS = [
    "array",
    "frame",
    "series",
    "index",
    "column",
    "merge",
    "join",
    "group",
    "sort",
    "filter",
    "reshape",
    "pivot",
    "plot",
    "axis",
    "figure",
    "tensor",
    "gradient",
    "model",
    "fit",
    "predict",
    "score",
    "sparse",
    "matrix",
    "solve",
    "optimize",
    "interpolate",
    "integrate",
    "random",
    "seed",
    "dtype",
    "cast",
    "missing",
    "fill",
    "drop",
    "rename",
    "window",
    "rolling",
    "resample",
    "date",
    "time",
    "string",
    "category",
    "count",
    "unique",
    "mean",
    "median",
]
BUDGET_MS = 300.0
QUERY = "merge frame on index column"


def seed(
    home: Path, snippets: int, insights: int, rng: random.Random, kb_from: Path | None = None
) -> tuple[str, str]:
    """The store; returns the admin key's secret and one lesson's id."""
    settings = Settings.load(environ={"SPARK_EMBEDDER": "hash"}, home=home)
    with Spark.open(settings) as spark:
        if kb_from is None:
            docs = [_snippet(n, rng) for n in range(snippets)]
        else:
            docs = _real_snippets(kb_from, snippets)
        for start in range(0, len(docs), 1000):
            chunk = docs[start : start + 1000]
            vectors = spark.embedder.embed([s.embed_text for s in chunk])
            spark.store.upsert_snippets(chunk, vectors, spark.space)
        admin = spark.create_key("acme", "lead", "admin", principal=LOCAL_PRINCIPAL)
        writers = [
            spark.create_key("acme", f"agent{n}", "writer", principal=LOCAL_PRINCIPAL)
            for n in range(8)
        ]
        lessons = [_insight(n, rng) for n in range(insights)]
        active = [i for i in lessons if i.status is InsightStatus.ACTIVE and i.scope is Scope.ORG]
        agents = [Principal(org_id="acme", agent_id=k.agent_id, role=Role.WRITER) for k in writers]
        served = {
            (n, m): [active[(n * 25 + m + j) % len(active)].id for j in range(3)]
            for n in range(len(agents))
            for m in range(25)
        }
        # Traces and an epoch before the lessons exist: curating 5,000 fresh lessons at
        # once (near-duplicate links for each) would take minutes and measure nothing here.
        for (n, m), ids in served.items():
            spark.record_trace(
                f"task {n}-{m}: {' '.join(rng.sample(WORDS, 6))}",
                outcome=rng.choice(["passed", "failed"]),
                served_ids=ids,
                principal=agents[n],
            )
        spark.curate(principal=LOCAL_PRINCIPAL)
        for start in range(0, len(lessons), 256):
            batch = lessons[start : start + 256]
            vectors = spark.embedder.embed([insight_text(i) for i in batch])
            for insight, vector in zip(batch, vectors, strict=True):
                spark.store.put_insight(insight, vector, spark.space)
        for (n, _), ids in served.items():
            spark.share_feedback(ids[0], relevant=True, correct=True, principal=agents[n])
        return admin.secret, active[0].id


def _real_snippets(db: Path, n: int) -> list[Snippet]:
    """The first ``n`` snippets of a real knowledge base, read-only."""
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        rows = conn.execute(
            "SELECT id, library, version, symbol, kind, title, text, embed_text, source,"
            " content_hash, apis FROM snippets ORDER BY row LIMIT ?",
            (n,),
        ).fetchall()
    keys = [
        "id",
        "library",
        "version",
        "symbol",
        "kind",
        "title",
        "text",
        "embed_text",
        "source",
        "content_hash",
    ]
    return [
        Snippet.model_validate(
            {**dict(zip(keys, row[:-1], strict=True)), "apis": json.loads(row[-1])}
        )
        for row in rows
    ]


def _snippet(n: int, rng: random.Random) -> Snippet:
    lib = LIBS[n % len(LIBS)]
    words = rng.sample(WORDS, 8)
    return Snippet.build(
        library=lib,
        version="1.0",
        symbol=f"{lib}.{words[0]}_{words[1]}_{n}",
        kind=SnippetKind.API if n % 5 else SnippetKind.GUIDE,
        title=f"{words[0]} {words[1]}",
        text=" ".join(words) + f". Use {lib}.{words[0]}_{words[1]}_{n} to {' '.join(words[2:5])}.",
    )


def _insight(n: int, rng: random.Random) -> Insight:
    lib = LIBS[n % len(LIBS)]
    words = rng.sample(WORDS, 10)
    title = f"{lib}: {' '.join(words[:4])} ({n})"
    content = f"When you {' '.join(words[:5])}, prefer {lib}.{words[5]}_{words[6]}: {' '.join(words[6:])}."
    status = InsightStatus.QUARANTINED if n % 10 == 0 else InsightStatus.ACTIVE
    when = utcnow() - timedelta(hours=n % 2000)
    return Insight(
        id=f"ins_bench{n:015d}",
        org_id="acme",
        agent_id=f"acme/agent{n % 8}",
        scope=Scope.PUBLIC if n % 7 == 0 else Scope.ORG,
        title=title,
        content=content,
        query=" ".join(words[:4]),
        tags=[f"{lib}:1.0"],
        kind=list(InsightKind)[n % len(InsightKind)],
        trust=Trust(alpha=1 + rng.random() * 6, beta=1 + rng.random() * 3),
        status=status,
        content_hash=content_hash(title, content),
        created=when,
        updated=when,
    )


def pages(lesson: str) -> dict[str, str]:
    return {
        "/healthz (baseline)": "/healthz",
        "ask (search + recommend)": "/ui/ask?q=" + QUERY.replace(" ", "+"),
        "memories": "/ui/memories",
        "memories, filtered by trust and age": "/ui/memories?min_trust=0.3&age=30&kind=pitfall",
        "insight": f"/ui/memories/{lesson}",
        "review queue": "/ui/review",
        "org": "/ui/org",
        "knowledge base": "/ui/kb",
        "epochs": "/ui/epochs",
        "dashboard": "/ui/dashboard",
    }


# What an agent pays for the same work over the REST API: the Ask page's floor.
API_CALLS: dict[str, tuple[str, dict[str, Any]]] = {
    "API: POST /v1/search": ("/v1/search", {"query": QUERY, "k": 8}),
    "API: POST /v1/recommend": ("/v1/recommend", {"task": QUERY}),
}


def load(
    client: httpx.Client, path: str, requests: int, body: dict[str, Any] | None = None
) -> list[float]:
    times = []
    for n in range(requests + 2):
        started = time.perf_counter()
        # The first load may build the server's in-memory indexes: no timeout for it.
        timeout = None if n == 0 else 60.0
        if body is None:
            response = client.get(path, timeout=timeout)
        else:
            response = client.post(path, json=body, timeout=timeout)
        elapsed = (time.perf_counter() - started) * 1000
        if response.status_code != 200:
            raise SystemExit(f"{path}: {response.status_code} {response.text[:300]}")
        if n >= 2:  # two warm-up loads
            times.append(elapsed)
    return times


def measure(home: Path, args: argparse.Namespace) -> dict[str, Any]:
    started = time.perf_counter()
    seeded = home / "bench-console.json"
    if seeded.exists():  # --store: a store this benchmark seeded before
        key, lesson = json.loads(seeded.read_text("utf-8"))
    else:
        key, lesson = seed(
            home, args.snippets, args.insights, random.Random(args.seed), args.kb_from
        )
        seeded.write_text(json.dumps([key, lesson]), "utf-8")
    seeded_s = time.perf_counter() - started
    load_before = os.getloadavg()[0]
    served = serve(home)
    proc, url = served.proc, served.url
    try:
        with httpx.Client(base_url=url, timeout=60) as client:
            client.post("/ui/signin", data={"key": key})
            rows = []
            for name, path in pages(lesson).items():
                rows.append(_row(name, load(client, path, args.requests)))
            api = {"Authorization": f"Bearer {key}"}
            with httpx.Client(base_url=url, timeout=60, headers=api) as agent:
                for name, (path, body) in API_CALLS.items():
                    rows.append(_row(name, load(agent, path, args.requests, body)))
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    base = rows[0]["p50_ms"]
    for row in rows:
        row["p50_vs_healthz"] = round(row["p50_ms"] / base, 1) if base else None
    return {
        "kb": "synthetic" if args.kb_from is None else f"real, from {args.kb_from}",
        "snippets": args.snippets,
        "insights": args.insights,
        "requests": args.requests,
        "seed_seconds": round(seeded_s, 1),
        "load_average": [round(load_before, 1), round(os.getloadavg()[0], 1)],
        "pages": rows,
    }


def _row(name: str, times: list[float]) -> dict[str, Any]:
    return {
        "page": name,
        "p50_ms": round(percentile(times, 0.50), 1),
        "p95_ms": round(percentile(times, 0.95), 1),
    }


def markdown(report: dict[str, Any]) -> str:
    lines = [
        f"{report['snippets']} snippets ({report.get('kb', 'synthetic')}),"
        f" {report['insights']} insights;"
        f" {report['requests']} loads per page after two warm-up loads, one client;"
        f" 1-minute load average {report['load_average'][0]} before,"
        f" {report['load_average'][1]} after (2 cores)",
        "",
        "| page | p50 ms | p95 ms | p50 / healthz p50 | p95 under 300 ms |",
        "|---|---:|---:|---:|---|",
    ]
    for r in report["pages"]:
        ok = "yes" if r["p95_ms"] < BUDGET_MS else "NO"
        lines.append(
            f"| {r['page']} | {r['p50_ms']} | {r['p95_ms']} | {r['p50_vs_healthz']} | {ok} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--snippets", type=int, default=50_000)
    parser.add_argument("--insights", type=int, default=5_000)
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument(
        "--store", type=Path, default=None, help="keep the seeded store here and reuse it"
    )
    parser.add_argument(
        "--kb-from",
        type=Path,
        default=None,
        help="take the snippets from this real store's spark.db (read-only) instead",
    )
    args = parser.parse_args(argv)
    if args.store is not None:
        args.store.mkdir(parents=True, exist_ok=True)
        report = measure(args.store, args)
    else:
        with tempfile.TemporaryDirectory(prefix="spark-console-") as tmp:
            report = measure(Path(tmp), args)
    print(markdown(report))
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "console.json").write_text(json.dumps(report, indent=2), "utf-8")
        (args.out / "console.md").write_text(markdown(report), "utf-8")
    pages_only = [r for r in report["pages"][1:] if not r["page"].startswith("API")]
    slow = [r["page"] for r in pages_only if r["p95_ms"] >= BUDGET_MS]
    return 1 if slow else 0


if __name__ == "__main__":
    raise SystemExit(main())
