"""API recall of retrieval on DS-1000: BM25 alone, vector alone, hybrid, recommend.

For each problem the query is its prompt, as an agent would paste it. The gold set is
the problem's ``apis_core`` (the public APIs its reference solution really calls); a
method's answer is the ordered list of distinct canonical symbols it returns. Every
figure stands beside a trivial baseline measured in the same run: the constant list
of the ten most frequent gold APIs of the problem's library.

Perturbations usually share their origin's APIs, so figures are kept per perturbation
type (and per library), never averaged across types.
"""

from __future__ import annotations

import json
import random
import statistics
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from spark_memory.eval.ds1000 import DS1000, ApiTarget, Problem, select
from spark_memory.eval.reporting import bar_plot, markdown_table, write_json
from spark_memory.models import LOCAL_PRINCIPAL, MAX_QUERY_CHARS, DocType, SearchFilters, Vectors
from spark_memory.search.hybrid import SearchRequest
from spark_memory.service import Spark

KS = (5, 10)
_DEPTH = 50


@dataclass(frozen=True)
class ProblemResult:
    problem_id: int
    library: str
    perturbation: str
    gold: tuple[str, ...]
    answers: dict[str, list[str]]  # method -> ordered distinct symbols
    seconds: dict[str, float]


@dataclass
class RetrievalReport:
    methods: list[str]
    results: list[ProblemResult] = field(default_factory=list)
    seed: int = 0
    sample: int | None = None

    def recall(self, method: str, k: int, rows: Iterable[ProblemResult]) -> float:
        values = [_recall(r.answers[method][:k], r.gold) for r in rows]
        return statistics.fmean(values) if values else 0.0

    def hit(self, method: str, k: int, rows: Iterable[ProblemResult]) -> float:
        values = [float(bool(set(r.answers[method][:k]) & set(r.gold))) for r in rows]
        return statistics.fmean(values) if values else 0.0

    def groups(self) -> dict[str, list[ProblemResult]]:
        """Rows per perturbation type and per library (keys 'type:X', 'library:Y')."""
        out: dict[str, list[ProblemResult]] = defaultdict(list)
        for r in self.results:
            out[f"type:{r.perturbation}"].append(r)
            out[f"library:{r.library}"].append(r)
        return dict(sorted(out.items()))

    def table(self) -> dict[str, dict[str, dict[str, float]]]:
        """group -> method -> metric (recall@k, hit@k) -> value."""
        table: dict[str, dict[str, dict[str, float]]] = {}
        for name, rows in self.groups().items():
            table[name] = {
                m: {
                    **{f"recall@{k}": self.recall(m, k, rows) for k in KS},
                    **{f"hit@{k}": self.hit(m, k, rows) for k in KS},
                    "n": float(len(rows)),
                }
                for m in self.methods
            }
        return table

    def latency_ms(self) -> dict[str, float]:
        return {
            m: 1000 * statistics.median(r.seconds[m] for r in self.results)
            for m in self.methods
            if self.results and m in self.results[0].seconds
        }


def _recall(answer: Sequence[str], gold: Sequence[str]) -> float:
    return len(set(answer) & set(gold)) / len(set(gold))


def frequent_baseline(targets: Iterable[ApiTarget], size: int = 10) -> dict[str, list[str]]:
    """Per library, the ``size`` most frequent gold APIs: a constant answer."""
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for t in targets:
        counts[t.library].update(t.apis_core)
    return {lib: [name for name, _ in c.most_common(size)] for lib, c in counts.items()}


def choose_problems(
    ds: DS1000, sample: int | None, seed: int, libraries: Sequence[str] = ()
) -> tuple[list[Problem], dict[int, ApiTarget]]:
    """Problems with at least one gold API, of ``libraries`` (all when empty), sampled."""
    targets = ds.api_targets()
    problems = [
        p
        for p in select(ds.problems(), libraries)
        if targets.get(p.problem_id, None) and targets[p.problem_id].apis_core
    ]
    if sample is not None and sample < len(problems):
        problems = sorted(random.Random(seed).sample(problems, sample), key=lambda p: p.problem_id)
    return problems, targets


class RetrievalBench:
    """Runs every method on every chosen problem with one shared query embedding."""

    def __init__(self, spark: Spark, with_recommend: bool = True) -> None:
        self.spark = spark
        self.with_recommend = with_recommend

    @property
    def methods(self) -> list[str]:
        base = ["baseline", "bm25", "vector", "hybrid"]
        return [*base, "recommend"] if self.with_recommend else base

    def run(
        self,
        problems: Sequence[Problem],
        targets: dict[int, ApiTarget],
        progress: Callable[[int, int], None] | None = None,
    ) -> RetrievalReport:
        baseline = frequent_baseline(targets.values())
        report = RetrievalReport(self.methods)
        queries = [p.prompt[:MAX_QUERY_CHARS] for p in problems]
        vectors = self.spark.embedder.embed_queries(queries)
        for n, (problem, query) in enumerate(zip(problems, queries, strict=True)):
            target = targets[problem.problem_id]
            answers, seconds = self._answers(query, vectors[n])
            answers["baseline"] = baseline.get(target.library, [])
            seconds["baseline"] = 0.0
            report.results.append(
                ProblemResult(
                    problem.problem_id,
                    problem.library,
                    problem.perturbation_type,
                    target.apis_core,
                    answers,
                    seconds,
                )
            )
            if progress:
                progress(n + 1, len(problems))
        return report

    def _answers(
        self, query: str, vector: Vectors
    ) -> tuple[dict[str, list[str]], dict[str, float]]:
        store, me, filters = self.spark.store, LOCAL_PRINCIPAL, SearchFilters()
        calls: dict[str, Callable[[], list[str]]] = {
            "bm25": lambda: self._symbols(
                [h.id for h in store.lexical_search(query, DocType.SNIPPET, filters, me, _DEPTH)]
            ),
            "vector": lambda: self._symbols(
                [h.id for h in store.vector_search(vector, DocType.SNIPPET, filters, me, _DEPTH)]
            ),
            "hybrid": lambda: _distinct(
                h.symbol
                for h in self.spark.searcher.search_with_vector(
                    SearchRequest(query, me, filters, _DEPTH, (DocType.SNIPPET,)), vector
                )
            ),
        }
        if self.with_recommend:
            calls["recommend"] = lambda: self._recommended(query)
        answers: dict[str, list[str]] = {}
        seconds: dict[str, float] = {}
        for name, call in calls.items():
            start = time.perf_counter()
            answers[name] = call()
            seconds[name] = time.perf_counter() - start
        return answers, seconds

    def _symbols(self, ids: list[str]) -> list[str]:
        found = self.spark.store.get_snippets(ids)
        return _distinct(found[i].symbol for i in ids if i in found)

    def _recommended(self, query: str) -> list[str]:
        rec = self.spark.recommend(query, mode="extractive")
        return _distinct(c.symbol for c in rec.citations if c.symbol)


def _distinct(symbols: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(s for s in symbols if s))


def report_json(report: RetrievalReport, meta: dict[str, Any]) -> dict[str, Any]:
    return {
        "meta": meta,
        "methods": report.methods,
        "problems": len(report.results),
        "table": report.table(),
        "median_latency_ms": report.latency_ms(),
        "per_problem": [
            {
                "problem_id": r.problem_id,
                "library": r.library,
                "perturbation": r.perturbation,
                "gold": list(r.gold),
                "top10": {m: a[:10] for m, a in r.answers.items()},
            }
            for r in report.results
        ],
    }


def write_report(report: RetrievalReport, meta: dict[str, Any], folder: Path) -> Path:
    """report.json, summary.md and recall plots in ``folder``; returns summary.md."""
    data = report_json(report, meta)
    write_json(folder, "retrieval.json", data)
    table = data["table"]
    headers = ["group", "n", *[f"{m} R@5 / R@10 / hit@10" for m in report.methods]]
    rows = [
        [
            group,
            int(cells[report.methods[0]]["n"]),
            *[
                f"{cells[m]['recall@5']:.3f} / {cells[m]['recall@10']:.3f} / {cells[m]['hit@10']:.3f}"
                for m in report.methods
            ],
        ]
        for group, cells in table.items()
    ]
    for kind in ("library", "type"):
        groups = [g for g in table if g.startswith(f"{kind}:")]
        bar_plot(
            folder / f"recall10_by_{kind}.png",
            f"API recall@10 by {kind}",
            [g.split(":", 1)[1] for g in groups],
            {m: [table[g][m]["recall@10"] for g in groups] for m in report.methods},
            "recall@10",
        )
    latency = ", ".join(f"{m} {v:.1f} ms" for m, v in data["median_latency_ms"].items() if v)
    summary = "\n\n".join(
        [
            "# Retrieval: API recall on DS-1000",
            f"Problems: {len(report.results)} (sample: {report.sample or 'all'}, seed {report.seed}). "
            "Query: the problem prompt. Gold: `apis_core`. Baseline: the ten most frequent gold "
            "APIs of the problem's library, constant.",
            markdown_table(headers, rows),
            f"Median latency per query: {latency}.",
            "![recall by library](recall10_by_library.png) ![recall by type](recall10_by_type.png)",
            "Run metadata:\n\n```json\n" + json.dumps(meta, indent=2, default=str) + "\n```",
        ]
    )
    path = folder / "retrieval.md"
    path.write_text(summary + "\n", "utf-8")
    return path
