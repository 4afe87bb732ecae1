"""Learning benchmark: does experience from DS-1000 Origin problems help on their perturbations?

    python benchmarks/bench_learning.py [--sample N] [--out reports/learning]

Six agents of six orgs (the six models under ``answers/``) attempt every Origin
problem; each attempt is executed and recorded as a trace with its real outcome and
error, and a failed one carries the problem's reference solution as its correction
(verified by execution, as a user correcting the agent would supply it). Then, in one
run: every Surface / Semantic / Difficult-Rewrite perturbation is asked of
``recommend`` (``--via search`` for plain search) *before* curation, one curation
epoch runs, and the same questions are asked *after*.

Split: experience comes only from Origin problems; tests are only perturbations. A
perturbation's family is its (library, origin) pair, so "its own origin" is known
exactly. The reference solutions of the perturbations are never used.

Reported per perturbation type and asker (a newcomer org that sees only public
insights; each of the six member orgs, averaged):

- hit@3: share of questions where an insight learned from its own origin problem is
  among the first three insights cited;
- noise: share of cited insights (first three) learned only from unrelated problems;
- coverage: share of questions whose origin produced an insight the asker can see
  (an upper bound for hit@3).

Execution verdicts are cached (see learning_traces.py). Writes JSON and Markdown.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from learning_traces import (
    DEFAULT_CACHE,
    DEFAULT_DATA,
    DEFAULT_ENV,
    Attempt,
    ExecutionCache,
    choose_origins,
    collect_attempts,
    environment_versions,
    harness,
)

from spark_memory.config import Settings
from spark_memory.eval import DS1000, Problem, Status
from spark_memory.learning.epochlog import reasons
from spark_memory.models import LOCAL_PRINCIPAL, DocType, Principal, Role
from spark_memory.service import Spark
from spark_memory.store.protocol import EpochRecord, LinkKind

TEST_TYPES = ("Surface", "Semantic", "Difficult-Rewrite")
NEWCOMER = Principal(org_id="org-newcomer", agent_id="agent-newcomer", role=Role.WRITER)
FamilyKey = tuple[str, int]  # (library, library_problem_id of the origin)


def family(problem: Problem) -> FamilyKey:
    return problem.library, problem.metadata.perturbation_origin_id


def member(model: str) -> Principal:
    return Principal(org_id=f"org-{model}", agent_id=f"agent-{model}", role=Role.WRITER)


# --- recording -----------------------------------------------------------------------------


def outcome_of(attempt: Attempt) -> tuple[str, str]:
    """(outcome, error) of an executed attempt: a wrong result fails, a crash is an error."""
    result = attempt.result
    if result.status is Status.PASSED:
        return "passed", ""
    if result.status is Status.TIMEOUT:
        return "error", f"TimeoutError: {result.error}"
    wrong = result.error.startswith("AssertionError") or not result.error
    return ("failed" if wrong else "error"), result.error


def record(spark: Spark, attempts: Sequence[Attempt]) -> dict[str, FamilyKey]:
    """Every attempt as a trace of its agent's org; trace id -> problem family."""
    env = environment_versions()
    origin_of: dict[str, FamilyKey] = {}
    for attempt in attempts:
        if attempt.result.status is Status.SKIPPED:
            continue
        outcome, error = outcome_of(attempt)
        receipt = spark.record_trace(
            attempt.problem.prompt,
            code=attempt.solution,
            outcome=outcome,
            test_output=attempt.result.stderr_tail[-2000:],
            error=error,
            correction=attempt.correction,
            environment=env,
            model=attempt.model,
            principal=member(attempt.model),
        )
        origin_of[receipt.id] = family(attempt.problem)
    return origin_of


# --- measuring -----------------------------------------------------------------------------


@dataclass
class Tally:
    questions: int = 0
    hits: int = 0
    first_hits: int = 0  # the first insight cited is from the question's own origin
    covered: int = 0
    cited: int = 0
    unrelated: int = 0
    noisy_questions: int = 0

    def add(self, other: Tally) -> None:
        for name in vars(self):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def as_dict(self) -> dict[str, Any]:
        q = max(self.questions, 1)
        return {
            **vars(self),
            "hit_at_3": round(self.hits / q, 4),
            "hit_at_1": round(self.first_hits / q, 4),
            "coverage": round(self.covered / q, 4),
            "noise": round(self.unrelated / self.cited, 4) if self.cited else 0.0,
            "noisy_question_share": round(self.noisy_questions / q, 4),
        }


class Provenance:
    """Which origin problems each insight was learned from (read with curator rights)."""

    def __init__(self, spark: Spark, origin_of: dict[str, FamilyKey]) -> None:
        self.spark = spark
        self.origin_of = origin_of
        self._cache: dict[str, set[FamilyKey]] = {}

    def __call__(self, insight_id: str) -> set[FamilyKey]:
        if insight_id not in self._cache:
            self._cache[insight_id] = {
                self.origin_of[t] for t in self._traces(insight_id) if t in self.origin_of
            }
        return self._cache[insight_id]

    def _traces(self, insight_id: str) -> set[str]:
        store = self.spark.store
        ids = {insight_id}
        snapshots = []
        for link in store.links_of([insight_id]):
            if link.target_id == insight_id and link.kind in (LinkKind.PROMOTED, LinkKind.MERGED):
                ids.add(link.source_id)
                if link.snapshot:
                    snapshots.append(json.loads(link.snapshot))
        traces = {
            t for i in store.unscoped_insights(sorted(ids)).values() for t in i.provenance.trace_ids
        }
        return traces | {t for s in snapshots for t in s["provenance"]["trace_ids"]}


def cited_insights(spark: Spark, prompt: str, asker: Principal, via: str) -> list[str]:
    if via == "recommend":
        answer = spark.recommend(prompt, principal=asker)
        return [c.id for c in answer.citations if c.doc_type is DocType.INSIGHT][:3]
    hits = spark.search(prompt[:8000], principal=asker, k=3, doc_types=(DocType.INSIGHT,))
    return [h.id for h in hits]


def visible_families(spark: Spark, asker: Principal, learned: Provenance) -> set[FamilyKey]:
    from spark_memory.models import SearchFilters

    insights = spark.store.list_insights(asker, SearchFilters(), limit=100_000)
    return {key for i in insights for key in learned(i.id)}


def measure(
    spark: Spark, tests: Sequence[Problem], asker: Principal, via: str, learned: Provenance
) -> dict[str, Tally]:
    visible = visible_families(spark, asker, learned)
    out = {t: Tally() for t in TEST_TYPES}
    for problem in tests:
        key = family(problem)
        cited = cited_insights(spark, problem.prompt, asker, via)
        sources = [learned(i) for i in cited]
        unrelated = sum(key not in s for s in sources)
        tally = out[problem.perturbation_type]
        tally.add(
            Tally(
                questions=1,
                hits=int(any(key in s for s in sources)),
                first_hits=int(bool(sources) and key in sources[0]),
                covered=int(key in visible),
                cited=len(cited),
                unrelated=unrelated,
                noisy_questions=int(unrelated > 0),
            )
        )
        if sum(t.questions for t in out.values()) % 100 == 0:
            print(
                f"  {asker.org_id}: {sum(t.questions for t in out.values())} questions",
                file=sys.stderr,
            )
    return out


def measure_all(
    spark: Spark, tests: Sequence[Problem], members: Sequence[str], via: str, learned: Provenance
) -> dict[str, dict[str, Any]]:
    newcomer = measure(spark, tests, NEWCOMER, via, learned)
    summed = {t: Tally() for t in TEST_TYPES}
    for model in members:
        for kind, tally in measure(spark, tests, member(model), via, learned).items():
            summed[kind].add(tally)
    return {
        "newcomer": {k: v.as_dict() for k, v in newcomer.items()},
        "members": {k: v.as_dict() for k, v in summed.items()},
    }


def asking_members(models: Sequence[str], everyone: bool) -> list[str]:
    """Member orgs that ask: all six, or the first and last answer file (by default
    codex002 and gpt-4o, the weakest and the strongest) to bound the run time."""
    return list(models) if everyone or len(models) <= 2 else [models[0], models[-1]]


# --- the run -------------------------------------------------------------------------------


def curation_summary(epoch: EpochRecord, spark: Spark) -> dict[str, Any]:
    public = sum(1 for e in epoch.events if e.action == "promoted")
    return {
        "traces_in": epoch.counts.get("traces", 0),
        "clusters": epoch.counts.get("clusters", 0),
        "insights_created": epoch.counts.get("created", 0),
        "merged": epoch.counts.get("merged", 0),
        "promoted_public": public,
        "endorsement_links": epoch.counts.get("linked", 0),
        "rejected": dict(reasons(epoch, "rejected")),
        "deferred": dict(reasons(epoch, "deferred")),
        "redacted": epoch.counts.get("redacted", 0),
        "llm_fallbacks": epoch.counts.get("fallback", 0),
        "seconds": round((epoch.finished - epoch.started).total_seconds(), 1),
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    data = DS1000(args.data)
    problems = data.problems()
    origins = choose_origins(problems, args.sample, args.seed)
    models = data.models()
    cache = ExecutionCache(args.cache_dir / "executions.json")
    attempts = collect_attempts(
        data, origins, models, cache, harness(args.env, args.workers, args.timeout)
    )
    keys = {family(p) for p in origins}
    tests = [p for p in problems if p.perturbation_type in TEST_TYPES and family(p) in keys]
    with tempfile.TemporaryDirectory(prefix="spark-bench-learning-") as home:
        settings = Settings.load(home=Path(home), embedder=args.embedder)
        with Spark.open(settings) as spark:
            via = args.via if hasattr(spark, "recommend") else "search"
            started = time.monotonic()
            origin_of = record(spark, attempts)
            record_s = time.monotonic() - started
            learned = Provenance(spark, origin_of)
            askers = asking_members(models, args.all_members)
            before = measure_all(spark, tests, askers, via, learned)
            epoch = spark.curate(principal=LOCAL_PRINCIPAL)
            learned = Provenance(spark, origin_of)
            after = measure_all(spark, tests, askers, via, learned)
            summary = curation_summary(epoch, spark)
    return {
        "benchmark": "learning",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "mode": "sample" if args.sample else "full",
        "sample": args.sample,
        "seed": args.seed,
        "via": via,
        "embedder": args.embedder,
        "split": "experience from Origin problems only; questions are their Surface, Semantic and "
        "Difficult-Rewrite perturbations (same perturbation family); perturbations' reference "
        "solutions are never used",
        "agents": {m: member(m).org_id for m in models},
        "asking_members": [member(m).org_id for m in askers],
        "origins": len(origins),
        "attempts": len(attempts),
        "attempts_passed": sum(a.result.passed for a in attempts),
        "attempts_corrected": sum(bool(a.correction) for a in attempts),
        "traces": len(origin_of),
        "record_seconds": round(record_s, 1),
        "questions": {t: sum(p.perturbation_type == t for p in tests) for t in TEST_TYPES},
        "curation": summary,
        "before": before,
        "after": after,
    }


def markdown(report: dict[str, Any]) -> str:
    c = report["curation"]
    lines = [
        f"# Learning benchmark ({report['mode']}, {report['date']})",
        "",
        f"Split: {report['split']}.",
        "",
        f"{report['origins']} Origin problems x {len(report['agents'])} agents (one org each):"
        f" {report['attempts']} executed attempts, {report['attempts_passed']} passed,"
        f" {report['attempts_corrected']} failed ones corrected with the verified reference"
        f" -> {report['traces']} traces. Questions via `{report['via']}`"
        f" ({report['embedder']} embeddings): "
        + ", ".join(f"{k} {v}" for k, v in report["questions"].items())
        + ".",
        "",
        f"Curation ({c['seconds']} s): {c['traces_in']} traces -> {c['clusters']} clusters ->"
        f" {c['insights_created']} insights created, {c['merged']} merged as endorsements,"
        f" {c['promoted_public']} promoted to public, {c['redacted']} redacted.",
        f"Rejected: {c['rejected'] or 'none'}. Deferred: {c['deferred'] or 'none'}.",
        "",
        "| asker | perturbation | questions | hit@3 before | hit@3 after | hit@1 after | noise before"
        " | noise after | coverage after |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for asker in ("newcomer", "members"):
        for kind in TEST_TYPES:
            b, a = report["before"][asker][kind], report["after"][asker][kind]
            lines.append(
                f"| {asker} | {kind} | {a['questions']} | {b['hit_at_3']:.3f} | {a['hit_at_3']:.3f}"
                f" | {a['hit_at_1']:.3f}"
                f" | {b['noise']:.3f} | {a['noise']:.3f} | {a['coverage']:.3f} |"
            )
    lines += [
        "",
        "hit@3: an insight learned from the question's own origin problem is among the first"
        " three insights cited (hit@1: it is the first). noise: share of cited insights learned only from unrelated"
        " problems. coverage: the origin produced an insight the asker can see. `members`"
        f" sums the member orgs asking the same questions ({', '.join(report['asking_members'])}).",
    ]
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sample", type=int, default=None, help="Origin problems (stratified); default all"
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument(
        "--env", type=Path, default=DEFAULT_ENV, help="The pinned DS-1000 environment"
    )
    parser.add_argument("--cache-dir", type=Path, default=DEFAULT_CACHE)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=120.0)
    parser.add_argument("--embedder", default="minilm", choices=["minilm", "hash"])
    parser.add_argument("--via", default="recommend", choices=["recommend", "search"])
    parser.add_argument(
        "--all-members", action="store_true", help="All six member orgs ask (default: two)"
    )
    parser.add_argument("--out", type=Path, default=Path("reports/learning"))
    args = parser.parse_args(argv)
    report = run(args)
    args.out.mkdir(parents=True, exist_ok=True)
    stem = f"learning-{report['mode']}-{report['via']}"
    (args.out / f"{stem}.json").write_text(json.dumps(report, indent=2), "utf-8")
    (args.out / f"{stem}.md").write_text(markdown(report), "utf-8")
    print(markdown(report))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
