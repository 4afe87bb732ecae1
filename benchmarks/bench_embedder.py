"""Benchmark the MiniLM forward passes against each other in one run.

    python benchmarks/bench_embedder.py [--queries 100] [--docs 64] [--repeat 3]

For each backend (numpy, onnx, and sentence-transformers when importable) it prints:

- start-up: a fresh interpreter importing, loading and embedding one query (the
  ONNX graph comes from a warm cache; its one-off build is printed separately);
- ms/query: median latency of embedding one short query at a time, and the
  process CPU time it took (less sensitive to other processes' load);
- texts/s: throughput over documentation-sized texts (numpy docstrings, many past
  the 256-token limit), median of --repeat passes;
- cosine to the numpy reference, worst over the documents.

Backends are measured round-robin (one query each, in turn) so that a change in
machine load hits all of them alike; ratios are against numpy from the same run.
With threadpoolctl installed, numpy is also run with OpenBLAS limited to one
thread. The load average is printed: on a shared machine, read the ratios, not
the absolute figures. Nothing is asserted: timings belong in reports, not tests.
"""

from __future__ import annotations

import argparse
import inspect
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from spark_memory.providers.minilm import MiniLMEmbedder
from spark_memory.providers.minilm_files import locate_model_dir

Embed = Callable[[Sequence[str]], np.ndarray]

QUERIES = [
    "how do I group a dataframe by two columns and take the mean",
    "ValueError: operands could not be broadcast together with shapes",
    "plot a histogram with log scale on the y axis",
    "sparse matrix multiplication in scipy",
    "fit a logistic regression with class weights",
    "convert a torch tensor to numpy without copying",
    "tf.function retracing warning",
    "rolling window median over a time series",
]


@dataclass
class Backend:
    name: str
    embed: Embed
    boot: str  # Python source that starts the backend cold and embeds one text
    boot_env: dict[str, str] = field(default_factory=dict)
    startups: list[float] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)  # process CPU seconds per query
    rates: list[float] = field(default_factory=list)
    vectors: np.ndarray | None = None


def documents(count: int) -> list[str]:
    """Real documentation text of varied length: numpy's public docstrings."""
    docs = [
        inspect.getdoc(obj) or ""
        for name, obj in sorted(vars(np).items())
        if not name.startswith("_") and callable(obj)
    ]
    return [doc for doc in docs if len(doc) > 40][:count]


def cold_start(backend: Backend) -> float:
    """Wall time of a fresh interpreter running the backend's boot code (imports included)."""
    script = f"import time; t = time.perf_counter()\n{backend.boot}\nprint(time.perf_counter() - t)"
    env = {**os.environ, **backend.boot_env}
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, env=env
    )
    return float(done.stdout.split()[-1])


def timed(embed: Embed, texts: Sequence[str]) -> tuple[float, np.ndarray]:
    start = time.perf_counter()
    vectors = embed(texts)
    return time.perf_counter() - start, vectors


def timed_query(backend: Backend, query: str) -> None:
    cpu = time.process_time()
    backend.latencies.append(timed(backend.embed, [query])[0])
    backend.cpu.append(time.process_time() - cpu)


def run(backends: list[Backend], args: argparse.Namespace) -> None:
    docs = documents(args.docs)
    for _ in range(args.repeat):
        for b in backends:
            b.startups.append(cold_start(b))
    for b in backends:
        b.embed(QUERIES[:1])  # the first call pays one-off allocations
    for i in range(args.queries):
        for b in backends:
            timed_query(b, QUERIES[i % len(QUERIES)])
    for _ in range(args.repeat):
        for b in backends:
            seconds, b.vectors = timed(b.embed, docs)
            b.rates.append(len(docs) / seconds)


def numpy_backends() -> Iterator[Backend]:
    load = "from spark_memory.providers.minilm import MiniLMEmbedder\n"
    boot = load + "MiniLMEmbedder(backend='numpy').embed(['q'])"
    numpy_bert = MiniLMEmbedder(backend="numpy")
    yield Backend("numpy", numpy_bert.embed, boot)
    try:
        from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]
    except ImportError:
        return

    def one_thread(texts: Sequence[str]) -> np.ndarray:
        with threadpool_limits(1, user_api="blas"):
            return numpy_bert.embed(texts)

    yield Backend("numpy, 1 BLAS thread", one_thread, boot, {"OPENBLAS_NUM_THREADS": "1"})


def onnx_backend(cache: Path) -> Backend:
    boot = (
        "from pathlib import Path\n"
        "from spark_memory.providers.minilm import MiniLMEmbedder\n"
        f"MiniLMEmbedder(backend='onnx', cache_dir=Path({str(cache)!r})).embed(['q'])"
    )
    return Backend("onnx", MiniLMEmbedder(backend="onnx", cache_dir=cache).embed, boot)


def sentence_transformers_backend() -> Backend | None:
    try:
        from sentence_transformers import SentenceTransformer
    except ImportError:
        print("sentence-transformers not importable: skipping it")
        return None
    path = str(locate_model_dir())
    model = SentenceTransformer(path, device="cpu")

    def embed(texts: Sequence[str]) -> np.ndarray:
        return np.asarray(model.encode(list(texts), normalize_embeddings=True, batch_size=32))

    boot = (
        "from sentence_transformers import SentenceTransformer\n"
        f"SentenceTransformer({path!r}, device='cpu').encode(['q'])"
    )
    return Backend("sentence-transformers", embed, boot)


def onnx_build_seconds(cache: Path) -> float:
    start = time.perf_counter()
    MiniLMEmbedder(backend="onnx", cache_dir=cache).embed(["q"])
    return time.perf_counter() - start


def report(backends: list[Backend]) -> None:
    base = backends[0]
    rows = [
        (
            b,
            statistics.median(b.startups),
            statistics.median(b.latencies) * 1000,
            statistics.median(b.cpu) * 1000,
            statistics.median(b.rates),
        )
        for b in backends
    ]
    _, base_start, base_ms, _, base_rate = rows[0]
    print(
        f"\n{'backend':<24}{'start s':>9}{'ms/query':>10}{'cpu ms/q':>10}{'texts/s':>9}"
        f"{'x start':>9}{'x query':>9}{'x tput':>8}{'min cos':>10}"
    )
    for b, start, ms, cpu_ms, rate in rows:
        cosine = float((np.asarray(b.vectors) * np.asarray(base.vectors)).sum(axis=1).min())
        print(
            f"{b.name:<24}{start:>9.2f}{ms:>10.2f}{cpu_ms:>10.2f}{rate:>9.1f}"
            f"{base_start / start:>9.2f}{base_ms / ms:>9.2f}{rate / base_rate:>8.2f}{cosine:>10.6f}"
        )
    print(
        "\nratios against numpy (>1 is faster); cpu ms/q: process CPU time per query, all"
        " threads (spinning BLAS threads inflate it); min cos: worst document cosine to numpy"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--docs", type=int, default=64)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory() as tmp:
        cache = Path(tmp)
        print(f"onnx graph build (cold cache, one-off): {onnx_build_seconds(cache):.2f} s")
        backends = [*numpy_backends(), onnx_backend(cache)]
        reference = sentence_transformers_backend()
        if reference is not None:
            backends.append(reference)
        run(backends, args)
        docs = len(documents(args.docs))
        print(f"{docs} documents, {args.queries} queries, repeat {args.repeat}; medians")
        report(backends)
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
