"""SQLite and PostgreSQL side by side, in one run.

    python benchmarks/bench_backends.py --source-store /work/kb-ds1000/spark.db \\
        [--postgres-url postgresql://postgres@127.0.0.1:5432/postgres] \\
        [--size 100000] [--queries 200] [--parts scale lexical] [--workdir DIR]

scale    Hybrid search latency (median, p99) and vector-channel recall@10 against an
         exact numpy scan, on both backends holding the same ``--size`` snippets, and
         the lexical channel's latency alone. The corpus is the knowledge base's real
         snippets and MiniLM vectors, grown with noisy copies (as
         benchmarks/bench_search.py does) filed as further libraries, so a search
         without filters spans all of them. Queries are DS-1000 prompts, embedded once
         beforehand: the timings are the store's and the fusion's, not the model's
         (the same on both backends).
lexical  API recall@10 of the lexical channel on the DS-1000 retrieval task (as
         `spark eval retrieval`), with the vector channel and hybrid beside it, on the
         knowledge base itself and on a PostgreSQL copy made with `spark export` /
         `spark import`'s code.

Both parts also replay PostgreSQL's previous lexical ranking (``_PREVIOUS``: every
match of the query's words in at most 20% of rows ranked by ``ts_rank``, the best 200
by ``ts_rank_cd``), on ``--before-sample`` queries, to show what the current one buys.

The knowledge base is copied first (SQLite backup API): nothing is written to it. The
stores built in ``--workdir`` and the PostgreSQL databases (``spark_bench_*``) are
reused by the next run with the same ``--workdir`` and ``--postgres-url``. Without
``--postgres-url``, a throwaway PostgreSQL 16 + pgvector cluster is started from the
pgserver wheel, as the tests do (fsync off: only reads are timed).
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import psycopg

from spark_memory.config import Settings
from spark_memory.eval.ds1000 import DS1000
from spark_memory.eval.retrieval import RetrievalBench, choose_problems
from spark_memory.models import LOCAL_PRINCIPAL, MAX_QUERY_CHARS, DocType, SearchFilters, Snippet
from spark_memory.providers.embedders import make_embedder
from spark_memory.search.hybrid import SearchRequest
from spark_memory.service import Spark
from spark_memory.service.transfer import export_store, import_store
from spark_memory.store import lexical as lexical_words
from spark_memory.store.postgres import PostgresStore
from spark_memory.store.protocol import EmbeddingSpace, Store
from spark_memory.store.sqlite import SqliteStore

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]  # bench_search, and tests/ for the cluster
from bench_search import load_source, percentile, prompts  # noqa: E402

DATA = HERE.parents[1] / "shared" / "data" / "ds1000"
ANN = 20_000  # the default ann_threshold: HNSW above it on both backends
EVERYTHING = SearchFilters()


# --- setup -----------------------------------------------------------------------------------


def copy_kb(source: Path, target: Path) -> Path:
    if not target.exists():
        with sqlite3.connect(f"file:{source}?mode=ro", uri=True) as src:
            dst = sqlite3.connect(target)
            src.backup(dst)
            dst.close()
    return target


def postgres_admin_url(given: str | None) -> tuple[str, Callable[[], None]]:
    if given:
        return given, lambda: None
    from tests import postgres_cluster

    cluster = postgres_cluster.start(postgres_cluster.bin_dir())
    print(f"started a throwaway PostgreSQL at {cluster.url()}")
    return cluster.url(), cluster.stop


def database(admin: str, name: str) -> str:
    with psycopg.connect(admin, autocommit=True) as conn:
        found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if found is None:
            conn.execute(f"CREATE DATABASE {name}")
    return admin.rsplit("/", 1)[0] + "/" + name


def analyse(url: str) -> None:
    """What autovacuum does soon after a bulk load; the lexical channel reads the stats."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("ANALYZE snippets")


def snippet_count(store: Store) -> int:
    return sum(s.snippets for s in store.library_stats())


def grow_as_libraries(
    snippets: list[Snippet], vectors: np.ndarray, n: int
) -> tuple[list[Snippet], np.ndarray]:
    """``n`` snippets: the real ones, then copies with noisy vectors as new libraries."""
    rng = np.random.default_rng(0)
    out_s: list[Snippet] = []
    out_v: list[np.ndarray] = []
    copy = 0
    while len(out_s) < n:
        take = min(n - len(out_s), len(snippets))
        library = (lambda s: s.library) if copy == 0 else (lambda s, c=copy: f"{s.library}_copy{c}")
        out_s += [_as_library(s, library(s)) for s in snippets[:take]]
        block = vectors[:take]
        if copy:
            noise = rng.normal(0, 0.15 / np.sqrt(block.shape[1]), block.shape)
            block = block + noise.astype(np.float32)
            block /= np.linalg.norm(block, axis=1, keepdims=True)
        out_v.append(block.astype(np.float32))
        copy += 1
    return out_s, np.vstack(out_v)


def _as_library(s: Snippet, library: str) -> Snippet:
    return Snippet.build(
        library=library,
        version=s.version,
        symbol=s.symbol,
        kind=s.kind,
        title=s.title,
        text=s.text,
        embed_text=s.embed_text,
        source=s.source,
    )


def fill(store: Store, snippets: list[Snippet], vectors: np.ndarray, space: EmbeddingSpace) -> None:
    if snippet_count(store) == len(snippets):
        return
    started = time.perf_counter()
    for start in range(0, len(snippets), 2000):
        end = start + 2000
        store.upsert_snippets(snippets[start:end], vectors[start:end], space)
    print(
        f"  built {type(store).__name__} with {len(snippets)} in {time.perf_counter() - started:.0f} s"
    )


# --- part 1: latency and vector recall at scale -------------------------------------------------


def scale(args: argparse.Namespace, admin: str, kb: Path) -> None:
    snippets, vectors, space = load_source(kb)
    grown, matrix = grow_as_libraries(snippets, vectors, args.size)
    ids = np.array([s.id for s in grown])
    sqlite_path = args.workdir / f"scale-{args.size}.db"
    pg_url = database(admin, f"spark_bench_scale_{args.size}")
    # Built with the index deferred (one bulk HNSW build at the end), searched at ANN.
    for built in (
        SqliteStore(sqlite_path, ann_threshold=10**9),
        PostgresStore(pg_url, ann_threshold=args.size),
    ):
        fill(built, grown, matrix, space)
        built.close()
    analyse(pg_url)
    settings = Settings.load()
    embedder = make_embedder(settings)
    queries = prompts(args.queries)
    qvecs = embedder.embed(queries)
    exact = [set(ids[np.argsort(-(matrix @ v))[:10]]) for v in qvecs]
    print(f"\n{args.size} snippets ({len(snippets)} real), {len(queries)} DS-1000 prompts, k=10")
    print(
        f"{'backend':<10} | {'hybrid p50':>10} {'p99':>8} | {'vector p50':>10} {'p99':>8}"
        f" {'recall@10':>9} | {'lexical p50':>11} {'p99':>8}"
    )
    results = {}
    for name, store in (
        ("sqlite", SqliteStore(sqlite_path, ann_threshold=ANN)),
        ("postgres", PostgresStore(pg_url, ann_threshold=ANN)),
    ):
        r = results[name] = measure(Spark(settings, store, embedder), queries, qvecs, exact)
        print(
            f"{name:<10} | {r['hybrid_p50']:>8.1f}ms {r['hybrid_p99']:>6.1f}ms"
            f" | {r['vector_p50']:>8.1f}ms {r['vector_p99']:>6.1f}ms {r['recall']:>9.3f}"
            f" | {r['lexical_p50']:>9.1f}ms {r['lexical_p99']:>6.1f}ms"
        )
        store.close()
    pg, lite = results["postgres"], results["sqlite"]
    for what in ("hybrid", "vector", "lexical"):
        print(
            f"{what} postgres / sqlite: p50 {pg[f'{what}_p50'] / lite[f'{what}_p50']:.2f}x,"
            f" p99 {pg[f'{what}_p99'] / lite[f'{what}_p99']:.2f}x"
        )
    with psycopg.connect(pg_url, autocommit=True) as conn:
        times = [_ms(lambda q=q: previous_ranking(conn, q)) for q in queries[: args.before_sample]]
    print(
        f"postgres lexical, previous ranking ({len(times)} of the prompts):"
        f" p50 {statistics.median(times):.1f}ms p99 {percentile(times, 99):.1f}ms"
    )


def measure(
    spark: Spark, queries: list[str], qvecs: np.ndarray, exact: list[set[str]]
) -> dict[str, float]:
    store = spark.store
    requests = [SearchRequest(q, LOCAL_PRINCIPAL, EVERYTHING, 10) for q in queries]
    for request, v in list(zip(requests, qvecs, strict=True))[:5]:  # indexes loaded, caches warm
        spark.searcher.search_with_vector(request, v)
    hybrid = [
        _ms(lambda r=r, v=v: spark.searcher.search_with_vector(r, v))
        for r, v in zip(requests, qvecs, strict=True)
    ]
    vector, recall = [], []
    for v, truth in zip(qvecs, exact, strict=True):
        started = time.perf_counter()
        hits = store.vector_search(v, DocType.SNIPPET, EVERYTHING, LOCAL_PRINCIPAL, 10)
        vector.append((time.perf_counter() - started) * 1000)
        recall.append(len({h.id for h in hits} & truth) / 10)
    # k=50: the depth the hybrid search asks each channel for
    lexical = [_ms(lambda q=q: _lexical_ids(store, q)) for q in queries]
    return {
        "hybrid_p50": statistics.median(hybrid),
        "hybrid_p99": percentile(hybrid, 99),
        "vector_p50": statistics.median(vector),
        "vector_p99": percentile(vector, 99),
        "recall": statistics.fmean(recall),
        "lexical_p50": statistics.median(lexical),
        "lexical_p99": percentile(lexical, 99),
    }


def _ms(fn: Callable[[], object]) -> float:
    started = time.perf_counter()
    fn()
    return (time.perf_counter() - started) * 1000


# --- part 2: lexical recall on DS-1000 -----------------------------------------------------------


def lexical(args: argparse.Namespace, admin: str, kb: Path) -> None:
    sqlite_store = SqliteStore(kb)
    pg_store = PostgresStore(database(admin, "spark_bench_kb"))
    if snippet_count(pg_store) != snippet_count(sqlite_store):
        transfer(sqlite_store, pg_store, args.workdir / "kb.jsonl")
    analyse(pg_store.url)
    settings = Settings.load()
    embedder = make_embedder(settings)
    problems, targets = choose_problems(DS1000(DATA), args.sample, 0)
    print(f"\nDS-1000 retrieval: {len(problems)} problems, {snippet_count(sqlite_store)} snippets")
    print(
        f"{'backend':<10} | {'lexical R@10':>12} {'vector R@10':>12} {'hybrid R@10':>12}"
        f" | {'lexical p50':>11}"
    )
    for name, store in (("sqlite", sqlite_store), ("postgres", pg_store)):
        report = RetrievalBench(Spark(settings, store, embedder), with_recommend=False).run(
            problems, targets
        )
        found = report.results
        recall = {m: report.recall(m, 10, found) for m in ("bm25", "vector", "hybrid")}
        p50 = 1000 * statistics.median(r.seconds["bm25"] for r in found)
        print(
            f"{name:<10} | {recall['bm25']:>12.4f} {recall['vector']:>12.4f}"
            f" {recall['hybrid']:>12.4f} | {p50:>9.1f}ms"
        )
    compare_rankings(pg_store, sqlite_store, args.before_sample)
    sqlite_store.close()
    pg_store.close()


def transfer(source: Store, target: Store, path: Path) -> None:
    started = time.perf_counter()
    with path.open("w", encoding="utf-8") as out:
        export_store(source, out)
    import_store(target, lambda: path.open(encoding="utf-8"))
    print(f"  exported and imported the knowledge base in {time.perf_counter() - started:.0f} s")


# PostgreSQL's lexical ranking before the heading-first one (commit fa180af), snippets
# without filters: the query's lexemes in more than 20% of rows dropped, every match of
# the rest ranked by ts_rank, the best 200 re-ranked by ts_rank_cd.
_PREVIOUS = """
WITH words AS (
    SELECT lexeme FROM unnest(to_tsvector('english', %(words)s))
), common AS (
    SELECT c.lexeme FROM pg_stats s,
        unnest(s.most_common_elems::text::text[], s.most_common_elem_freqs) AS c(lexeme, freq)
    WHERE s.schemaname = current_schema() AND s.tablename = 'snippets'
      AND s.attname = 'search' AND c.lexeme IS NOT NULL AND c.freq > 0.2
), kept AS (
    SELECT lexeme FROM words WHERE lexeme NOT IN (SELECT lexeme FROM common)
), chosen AS (
    SELECT lexeme FROM kept
    UNION ALL SELECT lexeme FROM words WHERE NOT EXISTS (SELECT 1 FROM kept)
), query AS (
    SELECT string_agg(quote_literal(lexeme), ' | ')::tsquery AS q FROM chosen
), pool AS MATERIALIZED (
    SELECT s.id, s.search FROM snippets s, query WHERE s.search @@ query.q
    ORDER BY ts_rank('{0,0.25,0.5,1}', s.search, query.q, 1) DESC, s.id LIMIT 200
)
SELECT pool.id FROM pool, query
ORDER BY ts_rank_cd('{0,0.25,0.5,1}', pool.search, query.q, 1) DESC, pool.id LIMIT 50
"""


def previous_ranking(conn: psycopg.Connection[Any], query: str) -> list[str]:
    words = " ".join(lexical_words.terms(query))
    return [r[0] for r in conn.execute(_PREVIOUS, {"words": words})] if words else []


def compare_rankings(pg: PostgresStore, sqlite_store: SqliteStore, sample: int) -> None:
    problems, targets = choose_problems(DS1000(DATA), sample, 0)
    queries = [p.prompt[:MAX_QUERY_CHARS] for p in problems]
    golds = [set(targets[p.problem_id].apis_core) for p in problems]
    with psycopg.connect(pg.url, autocommit=True) as conn:
        symbol = dict(conn.execute("SELECT id, symbol FROM snippets").fetchall())
        channels: dict[str, Callable[[str], list[str]]] = {
            "postgres, previous ranking": lambda q: previous_ranking(conn, q),
            "postgres, current ranking": lambda q: _lexical_ids(pg, q),
            "sqlite, FTS5 BM25": lambda q: _lexical_ids(sqlite_store, q),
        }
        print(f"\nlexical channel on a seeded sample of {len(problems)} problems")
        for name, channel in channels.items():
            recall, ms = _api_recall(channel, queries, golds, symbol)
            print(f"  {name:<28} API recall@10 {recall:.4f}   p50 {ms:.1f} ms")


def _lexical_ids(store: Store, query: str) -> list[str]:
    hits = store.lexical_search(query, DocType.SNIPPET, EVERYTHING, LOCAL_PRINCIPAL, 50)
    return [h.id for h in hits]


def _api_recall(
    channel: Callable[[str], list[str]],
    queries: Sequence[str],
    golds: Sequence[set[str]],
    symbol: dict[str, str],
) -> tuple[float, float]:
    """As `spark eval retrieval` counts it: the first 10 distinct symbols against the gold."""
    recalls, times = [], []
    for query, gold in zip(queries, golds, strict=True):
        started = time.perf_counter()
        ids = channel(query)
        times.append((time.perf_counter() - started) * 1000)
        top = list(dict.fromkeys(symbol[i] for i in ids if i in symbol))[:10]
        recalls.append(len(set(top) & gold) / len(gold))
    return statistics.fmean(recalls), statistics.median(times)


# --- main --------------------------------------------------------------------------------------------


def conditions(args: argparse.Namespace) -> str:
    """What a reader of the numbers needs: when, which code, how busy the machine was."""
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--", "src", "benchmarks"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    return (
        f"{time.strftime('%Y-%m-%d %H:%M %Z')}, commit {commit}{' (modified)' if dirty else ''},"
        f" load average {load}, {os.cpu_count()} CPUs; workdir {args.workdir}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--source-store", type=Path, required=True)
    parser.add_argument("--postgres-url", help="an admin URL; databases are created beside it")
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--sample", type=int, default=None, help="DS-1000 problems (all)")
    parser.add_argument(
        "--before-sample", type=int, default=100, help="queries for the previous ranking"
    )
    parser.add_argument(
        "--parts", nargs="+", choices=["scale", "lexical"], default=["scale", "lexical"]
    )
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()
    args.workdir = args.workdir or Path(tempfile.mkdtemp(prefix="spark-bench-backends-"))
    args.workdir.mkdir(parents=True, exist_ok=True)
    kb = copy_kb(args.source_store, args.workdir / "kb.db")
    admin, stop = postgres_admin_url(args.postgres_url)
    print(f"start: {conditions(args)}; knowledge base copied from {args.source_store}")
    try:
        if "scale" in args.parts:
            scale(args, admin, kb)
        if "lexical" in args.parts:
            lexical(args, admin, kb)
    finally:
        stop()
    print(f"end: {conditions(args)}")


if __name__ == "__main__":
    main()
