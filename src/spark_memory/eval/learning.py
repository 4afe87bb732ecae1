"""The learning benchmark: does experience from DS-1000 Origin problems help on their perturbations?

Six agents of six orgs (the six models under ``answers/``) attempt every chosen Origin
problem; each attempt is executed and recorded as a trace with its real outcome and
error, and a failed one carries the problem's reference solution as its correction,
verified by execution (``learning_traces``). Then, in one run, every Surface /
Semantic / Difficult-Rewrite perturbation of those problems is asked (``recommend``,
or plain ``search``) *before* curation, one curation epoch runs, and the same
questions are asked *after* (``learning_measure``).

Split: experience comes only from Origin problems; questions are only their
perturbations; a perturbation's family is its (library, origin) pair. The
perturbations' reference solutions are never used.

The store is a fresh SQLite file in a temporary folder, deleted afterwards: it
holds only the benchmark's traces and insights (no library documentation), so every
cited insight is one this run learned. The embedder is the configured one (MiniLM
by default; its model cache is the user's), the LLM is never used (deterministic
curation, extractive ``recommend``), and a PostgreSQL URL in the settings is ignored.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from spark_memory.config import Settings
from spark_memory.eval.ds1000 import DS1000, Problem
from spark_memory.eval.execution import HarnessOptions, Status
from spark_memory.eval.learning_measure import (
    TEST_TYPES,
    FamilyKey,
    Provenance,
    asking_members,
    family,
    measure_all,
    member,
)
from spark_memory.eval.learning_pool import OFF_TOPIC, docstring_lessons, plant
from spark_memory.eval.learning_traces import (
    Attempt,
    ExecutionCache,
    choose_origins,
    collect_attempts,
    environment_versions,
)
from spark_memory.learning.epochlog import reasons
from spark_memory.models import LOCAL_PRINCIPAL
from spark_memory.providers.embedders import make_embedder
from spark_memory.requests import TraceBody
from spark_memory.results import EpochRecord
from spark_memory.service import Spark

SPLIT = (
    "experience is learned from Origin problems only; questions are their Surface, Semantic"
    " and Difficult-Rewrite perturbations; family = (library, origin problem); the"
    " perturbations' reference solutions are never used"
)
Log = Callable[[str], None]


@dataclass(frozen=True)
class LearningOptions:
    sample: int | None = None  # Origin problems, libraries in turn; None: all
    seed: int = 7
    via: str = "recommend"
    all_members: bool = False
    off_topic: bool = False  # ask again with a handful of unrelated public lessons
    grown_pool: int = 0  # ask again with this many docstring-derived lessons added


def run_learning(
    data: DS1000,
    options: LearningOptions,
    harness: HarnessOptions,
    cache: ExecutionCache,
    settings: Settings,
    log: Log,
) -> dict[str, Any]:
    """Execute, record, ask, curate, ask again; the report's figures (no metadata)."""
    problems = data.problems()
    origins = choose_origins(problems, options.sample, options.seed)
    models = data.models()
    started = time.monotonic()
    attempts, executed = collect_attempts(data, origins, models, cache, harness, log)
    execute_s = time.monotonic() - started
    keys = {family(p) for p in origins}
    tests = [p for p in problems if p.perturbation_type in TEST_TYPES and family(p) in keys]
    askers = asking_members(models, options.all_members)
    with (
        tempfile.TemporaryDirectory(prefix="spark-eval-learning-") as home,
        _temporary_spark(settings, Path(home)) as spark,
    ):
        measured = _learn_and_ask(spark, attempts, tests, askers, options, log)
    return {
        "origins": len(origins),
        "origin_ids": [p.problem_id for p in origins],
        "agents": {m: member(m).org_id for m in models},
        "asking_members": [member(m).org_id for m in askers],
        "attempts": len(attempts),
        "attempts_passed": sum(a.result.passed for a in attempts),
        "attempts_corrected": sum(bool(a.correction) for a in attempts),
        "executed_now": executed,
        "execute_seconds": round(execute_s, 1),
        "questions": {t: sum(p.perturbation_type == t for p in tests) for t in TEST_TYPES},
        **measured,
    }


def _temporary_spark(settings: Settings, home: Path) -> Spark:
    store_settings = replace(
        settings, home=home, database_url="", llm_base_url="", llm_model="", llm_api_key=""
    )
    # the embedder keeps the user's home, so MiniLM's compiled model cache is reused
    return Spark.open(store_settings, embedder=make_embedder(settings))


def _learn_and_ask(
    spark: Spark,
    attempts: Sequence[Attempt],
    tests: Sequence[Problem],
    askers: Sequence[str],
    options: LearningOptions,
    log: Log,
) -> dict[str, Any]:
    via = options.via
    clock = time.monotonic()
    origin_of = record(spark, attempts)
    record_s = time.monotonic() - clock
    log(f"recorded {len(origin_of)} traces; asking {len(tests)} questions before curation")
    before = measure_all(spark, tests, askers, via, Provenance(spark, origin_of))
    epoch = spark.curate(principal=LOCAL_PRINCIPAL)
    log(f"curated: {epoch.counts.get('created', 0)} insights; asking again")
    after = measure_all(spark, tests, askers, via, Provenance(spark, origin_of))
    store_after = _store_counts(spark)
    conditions: dict[str, Any] = {}
    # Each condition adds to the store of the one before: off-topic, then the grown pool.
    if options.off_topic:
        plant(spark, OFF_TOPIC)
        log(f"planted {len(OFF_TOPIC)} off-topic lessons; asking again")
        conditions["off-topic lessons"] = measure_all(
            spark, tests, askers, via, Provenance(spark, origin_of)
        )
    if options.grown_pool:
        pool = docstring_lessons(options.grown_pool)
        plant(spark, pool)
        log(f"planted {len(pool)} docstring-derived lessons; asking again")
        conditions[f"grown pool (+{len(pool)} lessons)"] = measure_all(
            spark, tests, askers, via, Provenance(spark, origin_of)
        )
    return {
        "traces": len(origin_of),
        "record_seconds": round(record_s, 1),
        "curation": curation_summary(epoch),
        "store_after": store_after,
        "before": before,
        "after": after,
        "conditions": conditions,
    }


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
        trace = TraceBody.given(
            task=attempt.problem.prompt,
            code=attempt.solution,
            outcome=outcome,
            test_output=attempt.result.stderr_tail[-2000:],
            error=error,
            correction=attempt.correction,
            environment=env,
            model=attempt.model,
        )
        receipt = spark.record_trace(trace, principal=member(attempt.model))
        origin_of[receipt.id] = family(attempt.problem)
    return origin_of


def curation_summary(epoch: EpochRecord) -> dict[str, Any]:
    return {
        "traces_in": epoch.counts.get("traces", 0),
        "clusters": epoch.counts.get("clusters", 0),
        "insights_created": epoch.counts.get("created", 0),
        "merged": epoch.counts.get("merged", 0),
        "promoted_public": sum(1 for e in epoch.events if e.action == "promoted"),
        "endorsement_links": epoch.counts.get("linked", 0),
        "rejected": dict(reasons(epoch, "rejected")),
        "deferred": dict(reasons(epoch, "deferred")),
        "redacted": epoch.counts.get("redacted", 0),
        "llm_fallbacks": epoch.counts.get("fallback", 0),
        "seconds": round((epoch.finished - epoch.started).total_seconds(), 1),
    }


def _store_counts(spark: Spark) -> dict[str, Any]:
    """What the temporary store held when the run ended (it has no documentation)."""
    by_scope = spark.insights_by_scope_and_status()
    return {
        "snippets": spark.stats().snippets,
        "insights": sum(by_scope.values()),
        "insights_by_scope_and_status": by_scope,
    }
