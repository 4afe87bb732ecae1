"""Hybrid search latency and vector recall at 10k and 100k snippets, against exact search.

    python benchmarks/bench_search.py --source-store ~/.spark/spark.db [--sizes 10000 100000]

The corpus is real documentation: snippets and their MiniLM vectors are read from an
existing knowledge-base store (``--source-store``). To reach sizes beyond it, snippets
are repeated as further library versions whose vectors are the original plus small
Gaussian noise (renormalised), so neighbours stay distinct and the vector index faces a
realistic, clustered distribution. Queries are real DS-1000 problem prompts, embedded by
the real model inside the timed call. Every figure is printed beside the same pipeline
with exact brute-force numpy vector search, run in the same process.

Query embedding is shown both ways: as search runs it (``embed_queries``: int8 for long
prompts, see docs/embeddings.md) and exact fp32, with the top-10 overlap of the two
query vectors' exact neighbours and their cosine (median / minimum).
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from spark_memory.config import Settings
from spark_memory.models import LOCAL_PRINCIPAL, DocType, SearchFilters, Snippet
from spark_memory.providers.embedders import make_embedder
from spark_memory.service import Spark
from spark_memory.store.protocol import EmbeddingSpace
from spark_memory.store.sqlite import SqliteStore

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "ds1000"


def load_source(path: Path) -> tuple[list[Snippet], np.ndarray, EmbeddingSpace]:
    source = SqliteStore(path, ann_threshold=10**9)
    space = source.embedding_space()
    if space is None:
        raise SystemExit(f"{path} holds no vectors")
    snippets: list[Snippet] = [s for batch in source.iter_snippets(2048) for s in batch]
    rows = source._query("SELECT id, embedding FROM snippets WHERE embedding IS NOT NULL")
    by_id = {i: np.frombuffer(b, dtype=np.float32) for i, b in rows}
    source.close()
    snippets = [s for s in snippets if s.id in by_id]
    return snippets, np.vstack([by_id[s.id] for s in snippets]), space


def grow(snippets: list[Snippet], vectors: np.ndarray, n: int) -> tuple[list[Snippet], np.ndarray]:
    rng = np.random.default_rng(0)
    out_s: list[Snippet] = []
    out_v: list[np.ndarray] = []
    copy = 0
    while len(out_s) < n:
        take = min(n - len(out_s), len(snippets))
        for s in snippets[:take]:
            version = s.version if copy == 0 else f"{s.version}.copy{copy}"
            out_s.append(
                Snippet.build(
                    library=s.library,
                    version=version,
                    symbol=s.symbol,
                    kind=s.kind,
                    title=s.title,
                    text=s.text,
                    embed_text=s.embed_text,
                    source=s.source,
                )
            )
        block = vectors[:take]
        if copy:
            block = block + rng.normal(0, 0.15 / np.sqrt(block.shape[1]), block.shape).astype(
                np.float32
            )
            block /= np.linalg.norm(block, axis=1, keepdims=True)
        out_v.append(block.astype(np.float32))
        copy += 1
    return out_s, np.vstack(out_v)


def build_store(
    path: Path, snippets: list[Snippet], vectors: np.ndarray, space: EmbeddingSpace
) -> None:
    store = SqliteStore(path, ann_threshold=10**9)
    for start in range(0, len(snippets), 2000):
        store.upsert_snippets(snippets[start : start + 2000], vectors[start : start + 2000], space)
    store.close()


def prompts(n: int) -> list[str]:
    with gzip.open(DATA / "ds1000-dev.jsonl.gz", "rt") as f:
        rows = [json.loads(line)["prompt"] for line in f]
    random.Random(0).shuffle(rows)
    return [p[:4000] for p in rows[:n]]


def timed(fn: Callable[[], object], repeat: int = 1) -> float:
    start = time.perf_counter()
    for _ in range(repeat):
        fn()
    return (time.perf_counter() - start) * 1000 / repeat


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q))


def run_size(
    db: Path, queries: list[str], settings: Settings, ann_threshold: int
) -> dict[str, float]:
    embedder = make_embedder(settings)
    store = SqliteStore(db, ann_threshold=ann_threshold)
    spark = Spark(settings, store, embedder)
    spark.search(
        queries[0], k=10, principal=LOCAL_PRINCIPAL
    )  # loads/builds the index once, outside the timing
    hybrid = [timed(lambda q=q: spark.search(q, k=10, principal=LOCAL_PRINCIPAL)) for q in queries]
    vecs = embedder.embed_queries(queries)
    index = store._indexes[DocType.SNIPPET].current(store._read())
    assert index is not None
    ann = [timed(lambda v=v: index.search(v, 10)) for v in vecs]
    exact = [timed(lambda v=v: index._exact(v, 10, None)) for v in vecs]
    recall = statistics.mean(
        len(set(index.search(v, 10)[0]) & set(index._exact(v, 10, None)[0])) / 10 for v in vecs
    )
    lexical = [
        timed(
            lambda q=q: store.lexical_search(
                q, DocType.SNIPPET, SearchFilters(), LOCAL_PRINCIPAL, 50
            )
        )
        for q in queries
    ]
    embed = [timed(lambda q=q: embedder.embed_queries([q])) for q in queries]
    embed_fp32 = [timed(lambda q=q: embedder.embed([q])) for q in queries]
    exact_vecs = embedder.embed(queries)
    overlap = statistics.mean(
        len(set(index._exact(a, 10, None)[0]) & set(index._exact(b, 10, None)[0])) / 10
        for a, b in zip(vecs, exact_vecs, strict=True)
    )
    store.close()

    exact_store = SqliteStore(db, ann_threshold=10**9)  # same pipeline, brute-force vectors
    exact_spark = Spark(settings, exact_store, embedder)
    exact_spark.search(queries[0], k=10, principal=LOCAL_PRINCIPAL)
    hybrid_exact = [
        timed(lambda q=q: exact_spark.search(q, k=10, principal=LOCAL_PRINCIPAL)) for q in queries
    ]
    exact_store.close()
    return {
        "hybrid_p50": statistics.median(hybrid),
        "hybrid_p99": percentile(hybrid, 99),
        "hybrid_exact_p50": statistics.median(hybrid_exact),
        "hybrid_exact_p99": percentile(hybrid_exact, 99),
        "ann_p50": statistics.median(ann),
        "exact_p50": statistics.median(exact),
        "lexical_p50": statistics.median(lexical),
        "lexical_p99": percentile(lexical, 99),
        "embed_p50": statistics.median(embed),
        "embed_fp32_p50": statistics.median(embed_fp32),
        "query_overlap": overlap,
        "query_cosine_p50": float(np.median((vecs * exact_vecs).sum(axis=1))),
        "query_cosine_min": float((vecs * exact_vecs).sum(axis=1).min()),
        "vector_recall_at_10": recall,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--source-store", type=Path, required=True)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--ann-threshold", type=int, default=20_000)
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()

    snippets, vectors, space = load_source(args.source_store)
    settings = Settings.load()
    queries = prompts(args.queries)
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="spark-bench-"))
    print(f"source: {len(snippets)} real snippets of {space.model}; {len(queries)} DS-1000 prompts")
    header = (
        f"{'size':>8} | {'hybrid p50':>10} {'p99':>7} | {'exact-vector hybrid p50':>23} {'p99':>7}"
        f" | {'ratio':>5} | {'ANN p50':>7} {'exact p50':>9} {'ratio':>6} | {'recall@10':>9}"
        f" | {'bm25 p50':>8} {'p99':>6} | {'embed p50':>9} {'fp32':>7} {'overlap':>7} {'cos p50/min':>11}"
    )
    print(header)
    for size in args.sizes:
        db = workdir / f"bench-{size}.db"
        if not db.exists():
            s, v = grow(snippets, vectors, size)
            t = time.perf_counter()
            build_store(db, s, v, space)
            print(f"  (built {size} snippets in {time.perf_counter() - t:.0f} s)")
        r = run_size(db, queries, settings, args.ann_threshold)
        print(
            f"{size:>8} | {r['hybrid_p50']:>8.1f}ms {r['hybrid_p99']:>5.1f}ms"
            f" | {r['hybrid_exact_p50']:>21.1f}ms {r['hybrid_exact_p99']:>5.1f}ms"
            f" | {r['hybrid_exact_p50'] / r['hybrid_p50']:>4.2f}x"
            f" | {r['ann_p50']:>5.2f}ms {r['exact_p50']:>7.2f}ms {r['exact_p50'] / r['ann_p50']:>5.1f}x"
            f" | {r['vector_recall_at_10']:>9.3f} | {r['lexical_p50']:>6.1f}ms {r['lexical_p99']:>4.0f}ms"
            f" | {r['embed_p50']:>7.1f}ms {r['embed_fp32_p50']:>5.1f}ms {r['query_overlap']:>7.3f}"
            f" {r['query_cosine_p50']:>5.3f}/{r['query_cosine_min']:.3f}"
        )


if __name__ == "__main__":
    main()
