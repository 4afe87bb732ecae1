"""API recall of retrieval on DS-1000: BM25 alone, vector alone, hybrid, recommend.

For each problem the query is its prompt, as an agent would paste it. The gold set is
the problem's ``apis_core`` (the public APIs its reference solution really calls). A
method's answer is an ordered list of distinct results, each standing for the API
names it covers: a reference page its symbol, its aliases and the method it inherits
(one page under several paths counts once), a guide section the APIs it teaches, a
lesson nothing (it takes a place and covers no API).

Two recalls are kept: on all gold APIs, and on the *distinctive* ones (used by fewer
than ``DISTINCTIVE_SHARE`` of the library's problems in the split). Plumbing every
solution uses (``DataFrame.loc``, ``.columns``) is what a constant list finds; the
distinctive APIs are what an agent needs to be told. Every figure stands beside that
constant list, measured in the same run: the ten most frequent gold APIs of the
problem's library.

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
from spark_memory.models import (
    API_KINDS,
    LOCAL_PRINCIPAL,
    MAX_QUERY_CHARS,
    DocType,
    SearchFilters,
    Snippet,
    Vectors,
)
from spark_memory.requests import RecommendBody
from spark_memory.search import symbols
from spark_memory.search.hybrid import SearchRequest
from spark_memory.service import Spark
from spark_memory.task_text import for_embedding

KS = (1, 5, 10)  # hit@1: how often the first result is an API the solution uses
_DEPTH = 50
DISTINCTIVE_SHARE = 0.05
Item = tuple[str, ...]  # the API names one answer place stands for
LESSON = "lesson:"  # a lesson's place: (LESSON + id,), no API name


@dataclass(frozen=True)
class ProblemResult:
    problem_id: int
    library: str
    perturbation: str
    gold: tuple[str, ...]
    distinctive: tuple[str, ...]
    answers: dict[str, list[Item]]  # method -> ordered distinct results
    seconds: dict[str, float]
    lessons: dict[str, int] = field(default_factory=dict)  # method -> lessons in its top 10


@dataclass
class RetrievalReport:
    methods: list[str]
    results: list[ProblemResult] = field(default_factory=list)
    seed: int = 0
    sample: int | None = None
    citations: CitationChecks = field(default_factory=lambda: CitationChecks())

    def recall(self, method: str, k: int, rows: Iterable[ProblemResult]) -> float:
        values = [_recall(r.answers[method][:k], r.gold) for r in rows]
        return statistics.fmean(values) if values else 0.0

    def distinctive_recall(self, method: str, k: int, rows: Iterable[ProblemResult]) -> float:
        values = [_recall(r.answers[method][:k], r.distinctive) for r in rows if r.distinctive]
        return statistics.fmean(values) if values else 0.0

    def hit(self, method: str, k: int, rows: Iterable[ProblemResult]) -> float:
        values = [float(_recall(r.answers[method][:k], r.gold) > 0) for r in rows]
        return statistics.fmean(values) if values else 0.0

    def lesson_share(self, method: str, rows: Iterable[ProblemResult]) -> float:
        """Share of problems with a lesson among the method's first ten results."""
        values = [float(r.lessons.get(method, 0) > 0) for r in rows]
        return statistics.fmean(values) if values else 0.0

    def groups(self) -> dict[str, list[ProblemResult]]:
        """Rows overall, per perturbation type and per library ('all', 'type:X', 'library:Y')."""
        out: dict[str, list[ProblemResult]] = defaultdict(list)
        for r in self.results:
            out[f"type:{r.perturbation}"].append(r)
            out[f"library:{r.library}"].append(r)
        return {"all": list(self.results), **dict(sorted(out.items()))}

    def table(self) -> dict[str, dict[str, dict[str, float]]]:
        """group -> method -> metric -> value."""
        table: dict[str, dict[str, dict[str, float]]] = {}
        for name, rows in self.groups().items():
            table[name] = {
                m: {
                    **{f"recall@{k}": self.recall(m, k, rows) for k in KS},
                    **{f"distinctive_recall@{k}": self.distinctive_recall(m, k, rows) for k in KS},
                    **{f"hit@{k}": self.hit(m, k, rows) for k in KS},
                    "lessons@10": self.lesson_share(m, rows),
                    "n": float(len(rows)),
                    "n_distinctive": float(sum(bool(r.distinctive) for r in rows)),
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


@dataclass
class CitationChecks:
    """Over recommend's answers: private paths where a public name exists, and one API
    cited twice (under two paths, or its page and its example)."""

    answers: int = 0
    citations: int = 0
    private: int = 0
    duplicated: int = 0  # answers citing one API twice
    examples: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {**vars(self), "examples": self.examples[:10]}


def _recall(answer: Sequence[Item], gold: Sequence[str]) -> float:
    if not gold:
        return 0.0
    found = {name for item in answer for name in item}
    return len(found & set(gold)) / len(set(gold))


def frequent_baseline(targets: Iterable[ApiTarget], size: int = 10) -> dict[str, list[str]]:
    """Per library, the ``size`` most frequent gold APIs: a constant answer."""
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for t in targets:
        counts[t.library].update(t.apis_core)
    return {lib: [name for name, _ in c.most_common(size)] for lib, c in counts.items()}


def distinctive_apis(
    targets: Iterable[ApiTarget], share: float = DISTINCTIVE_SHARE
) -> dict[str, set[str]]:
    """Per library, the gold APIs used by fewer than ``share`` of its problems."""
    problems: Counter[str] = Counter()
    users: dict[str, Counter[str]] = defaultdict(Counter)
    for t in targets:
        problems[t.library] += 1
        users[t.library].update(set(t.apis_core))
    return {
        lib: {api for api, n in c.items() if n < share * problems[lib]} for lib, c in users.items()
    }


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


def knowledge_base(spark: Spark) -> dict[str, Any]:
    """Which knowledge base a run used: where, how many snippets of each kind."""
    stats = spark.stats()
    by_kind: Counter[str] = Counter()
    for lib in stats.libraries:
        by_kind.update(lib.by_kind)
    return {
        "location": stats.location,
        "snippets": sum(lib.snippets for lib in stats.libraries),
        "by_kind": dict(sorted(by_kind.items())),
        "guides": by_kind.get("guide", 0) > 0,
        "libraries": {f"{lib.library} {lib.version}": lib.snippets for lib in stats.libraries},
    }


class RetrievalBench:
    """Runs every method on every chosen problem with one shared query embedding."""

    def __init__(self, spark: Spark, with_recommend: bool = True) -> None:
        self.spark = spark
        self.with_recommend = with_recommend
        self._groups: dict[str, frozenset[str]] | None = None

    def groups(self) -> dict[str, frozenset[str]]:
        """API identity -> every name its pages carry (one pass over the knowledge base)."""
        if self._groups is None:
            found: dict[str, set[str]] = defaultdict(set)
            for batch in self.spark.kb_batches(4096):
                for s in batch:
                    key, names = _snippet_key(s)
                    found[key].update(names)
            self._groups = {k: frozenset(v) for k, v in found.items()}
        return self._groups

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
        self.spark.warm()  # measure the steady state: the symbol index built
        baseline = frequent_baseline(targets.values())
        distinctive = distinctive_apis(targets.values())
        report = RetrievalReport(self.methods)
        queries = [p.prompt[:MAX_QUERY_CHARS] for p in problems]
        # as plain search embeds a query (``task_text``): the data rows left out
        vectors = self.spark.embedder.embed_queries([for_embedding(q) for q in queries])
        for n, (problem, query) in enumerate(zip(problems, queries, strict=True)):
            target = targets[problem.problem_id]
            answers, seconds = self._answers(query, vectors[n], report.citations)
            answers["baseline"] = [(name,) for name in baseline.get(target.library, [])]
            seconds["baseline"] = 0.0
            rare = distinctive.get(target.library, set())
            report.results.append(
                ProblemResult(
                    problem.problem_id,
                    problem.library,
                    problem.perturbation_type,
                    target.apis_core,
                    tuple(a for a in target.apis_core if a in rare),
                    answers,
                    seconds,
                    {m: sum(_is_lesson(item) for item in a[:10]) for m, a in answers.items()},
                )
            )
            if progress:
                progress(n + 1, len(problems))
        return report

    def _answers(
        self, query: str, vector: Vectors, checks: CitationChecks
    ) -> tuple[dict[str, list[Item]], dict[str, float]]:
        me, filters = LOCAL_PRINCIPAL, SearchFilters()
        both = (DocType.SNIPPET, DocType.INSIGHT)
        calls: dict[str, Callable[[], list[Item]]] = {
            "bm25": lambda: self._items(self.spark.channel("bm25", query, vector, _DEPTH)),
            "vector": lambda: self._items(self.spark.channel("vector", query, vector, _DEPTH)),
            "hybrid": lambda: self._items(
                [
                    h.id
                    for h in self.spark.searcher.search_with_vector(
                        SearchRequest(query, me, filters, _DEPTH, both), vector
                    )
                ]
            ),
        }
        if self.with_recommend:
            calls["recommend"] = lambda: self._recommended(query, checks)
        answers: dict[str, list[Item]] = {}
        seconds: dict[str, float] = {}
        for name, call in calls.items():
            start = time.perf_counter()
            answers[name] = call()
            seconds[name] = time.perf_counter() - start
        return answers, seconds

    def _items(self, ids: list[str]) -> list[Item]:
        """Distinct results in order: an API (all its names), a section (the APIs it
        teaches), a lesson (no API)."""
        snippets = self.spark.kb_snippets(ids)
        groups = self.groups()
        out: dict[str, Item] = {}
        for i in ids:
            if i not in snippets:
                out.setdefault(i, (LESSON + i,))
                continue
            key, names = _snippet_key(snippets[i])
            out.setdefault(key, tuple(sorted(groups.get(key, frozenset(names)))))
        return list(out.values())

    def _recommended(self, query: str, checks: CitationChecks) -> list[Item]:
        asked = RecommendBody.given(task=query, mode="extractive")
        rec = self.spark.recommend(asked, principal=LOCAL_PRINCIPAL)
        ids = [c.id for c in rec.citations]
        _check_citations(rec.citations, self.spark.kb_snippets(ids), checks)
        return self._items(ids)


def _is_lesson(item: Item) -> bool:
    return bool(item) and item[0].startswith(LESSON)


def _check_citations(
    citations: Sequence[Any], snippets: dict[str, Snippet], checks: CitationChecks
) -> None:
    checks.answers += 1
    seen: set[str] = set()
    twice = False
    for c in citations:
        s = snippets.get(c.id)
        if s is None or s.kind.value not in API_KINDS:
            continue
        checks.citations += 1
        names = symbols.names(s.symbol, s.kind.value, s.text)
        if symbols.is_private(c.symbol) and not all(symbols.is_private(n) for n in names):
            checks.private += 1
            checks.examples.append(f"private: {c.symbol}")
        key = symbols.identity(s.symbol, s.kind.value, s.text, s.id)
        if key in seen:
            twice = True
            checks.examples.append(f"twice: {c.symbol}")
        seen.add(key)
    checks.duplicated += twice


def _snippet_key(s: Snippet) -> tuple[str, Item]:
    kind = s.kind.value
    names = symbols.names(s.symbol, kind, s.text, s.apis)
    return symbols.identity(s.symbol, kind, s.text, s.id), names


def report_json(reports: dict[str, RetrievalReport], meta: dict[str, Any]) -> dict[str, Any]:
    plain = next(iter(reports.values()))
    return {
        "meta": meta,
        "methods": plain.methods,
        "problems": len(plain.results),
        "table": plain.table(),
        "median_latency_ms": plain.latency_ms(),
        "recommend_citations": plain.citations.as_dict(),
        "conditions": {
            name: {
                "table": r.table(),
                "median_latency_ms": r.latency_ms(),
                "recommend_citations": r.citations.as_dict(),
            }
            for name, r in reports.items()
        },
        "per_problem": [
            {
                "problem_id": r.problem_id,
                "library": r.library,
                "perturbation": r.perturbation,
                "gold": list(r.gold),
                "distinctive": list(r.distinctive),
                "top10": {m: [list(i) for i in a[:10]] for m, a in r.answers.items()},
            }
            for r in plain.results
        ],
    }


def write_report(
    reports: RetrievalReport | dict[str, RetrievalReport], meta: dict[str, Any], folder: Path
) -> Path:
    """retrieval.json, retrieval.md and recall plots in ``folder``; returns retrieval.md.

    ``reports`` maps a condition ("plain", "off-topic lessons") to its report; the first
    is the main one.
    """
    if isinstance(reports, RetrievalReport):
        reports = {"plain": reports}
    data = report_json(reports, meta)
    write_json(folder, "retrieval.json", data)
    plain = next(iter(reports.values()))
    table = data["table"]
    for kind in ("library", "type"):
        groups = [g for g in table if g.startswith(f"{kind}:")]
        bar_plot(
            folder / f"recall10_by_{kind}.png",
            f"API recall@10 by {kind}",
            [g.split(":", 1)[1] for g in groups],
            {m: [table[g][m]["recall@10"] for g in groups] for m in plain.methods},
            "recall@10",
        )
    latency = ", ".join(f"{m} {v:.1f} ms" for m, v in data["median_latency_ms"].items() if v)
    kb = meta.get("knowledge_base", {})
    parts = [
        "# Retrieval: API recall on DS-1000",
        f"Knowledge base: {kb.get('location', '?')}: {kb.get('snippets', '?')} snippets"
        f" {kb.get('by_kind', {})}; guides {'present' if kb.get('guides') else 'absent'}.",
        f"Problems: {len(plain.results)} (sample: {plain.sample or 'all'}, seed {plain.seed}). "
        "Query: the problem prompt. Gold: `apis_core`; distinctive: gold APIs used by fewer"
        f" than {DISTINCTIVE_SHARE:.0%} of the library's problems in the split. Baseline: the"
        " ten most frequent gold APIs of the problem's library, constant. Cells: R@10 all /"
        " R@10 distinctive / hit@10 (retrieval.json also has @1 and @5).",
    ]
    for name, report in reports.items():
        parts += [f"## Condition: {name}", _summary_table(report)]
        checks = report.citations
        if checks.answers:
            parts.append(
                f"recommend citations: {checks.citations} API citations in {checks.answers}"
                f" answers; private path where a public name exists: {checks.private};"
                f" answers citing one API twice: {checks.duplicated}."
            )
        lessons = {m: report.lesson_share(m, report.results) for m in report.methods}
        if any(lessons.values()):
            parts.append(
                "Problems with a lesson in the first ten results: "
                + ", ".join(f"{m} {v:.3f}" for m, v in lessons.items() if m != "baseline")
                + "."
            )
    parts += [
        f"Median latency per query (plain): {latency}.",
        "![recall by library](recall10_by_library.png) ![recall by type](recall10_by_type.png)",
        "Run metadata:\n\n```json\n" + json.dumps(meta, indent=2, default=str) + "\n```",
    ]
    path = folder / "retrieval.md"
    path.write_text("\n\n".join(parts) + "\n", "utf-8")
    return path


def _summary_table(report: RetrievalReport) -> str:
    table = report.table()
    headers = ["group", "n", "n distinctive", *report.methods]
    rows = [
        [
            group,
            int(cells[report.methods[0]]["n"]),
            int(cells[report.methods[0]]["n_distinctive"]),
            *[
                f"{cells[m]['recall@10']:.3f} / {cells[m]['distinctive_recall@10']:.3f}"
                f" / {cells[m]['hit@10']:.3f}"
                for m in report.methods
            ],
        ]
        for group, cells in table.items()
    ]
    return markdown_table(headers, rows)
