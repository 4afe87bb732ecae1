"""DS-1000 Origin problems as agent experience, for the learning benchmark.

Each model under ``answers/`` is one agent of its own org. Every chosen Origin
problem's answer is executed in the pinned environment; where one failed, the
problem's reference solution is executed too and, when it passes, becomes the
trace's correction (what a user correcting the agent would supply, verified by
execution).

Verdicts are cached in one JSON file keyed by (problem id, hash of the solution) and
saved as results arrive, so an interrupted or repeated run re-executes nothing it
already has, and an answer two models share is executed once.
"""

from __future__ import annotations

import json
import os
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from spark_memory.eval.ds1000 import DS1000, Problem
from spark_memory.eval.environment import PINS
from spark_memory.eval.execution import ExecutionResult, HarnessOptions, Status, Task, execute_all
from spark_memory.eval.postprocess import postprocess
from spark_memory.models import content_hash

Log = Callable[[str], None]
REFERENCE = "reference"


@dataclass(frozen=True)
class Attempt:
    """One agent's executed answer to one Origin problem."""

    model: str
    problem: Problem
    solution: str
    result: ExecutionResult
    correction: str  # the verified reference solution when the attempt failed, else ""


def environment_versions() -> dict[str, str]:
    """package -> version of the pinned environment, as a trace's environment field."""
    out = {}
    for pin in PINS:
        name, sep, version = pin.partition("==")
        if sep:
            out[name] = version
    return out


def choose_origins(problems: Sequence[Problem], sample: int | None, seed: int) -> list[Problem]:
    """Offline Origin problems; a sample takes libraries in turn (seeded) so each is in it."""
    origins = [p for p in problems if p.perturbation_type == "Origin" and not p.network_data_call]
    if sample is None or sample >= len(origins):
        return origins
    rng = random.Random(seed)
    by_library: dict[str, list[Problem]] = {}
    for p in origins:
        by_library.setdefault(p.library, []).append(p)
    chosen: list[Problem] = []
    libraries = sorted(by_library)
    while len(chosen) < sample:
        for library in libraries:
            pool = [p for p in by_library[library] if p not in chosen]
            if pool and len(chosen) < sample:
                chosen.append(rng.choice(pool))
    return sorted(chosen, key=lambda p: p.problem_id)


class ExecutionCache:
    """Verdicts keyed by problem and solution text, persisted as one JSON file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._data: dict[str, dict[str, Any]] = {}
        if path.is_file():
            self._data = json.loads(path.read_text("utf-8"))

    @staticmethod
    def key(problem: Problem, solution: str) -> str:
        return f"{problem.problem_id}:{content_hash(solution)[:16]}"

    def get(self, problem: Problem, solution: str) -> ExecutionResult | None:
        raw = self._data.get(self.key(problem, solution))
        if raw is None:
            return None
        return ExecutionResult(**{**raw, "status": Status(raw["status"])})

    def put(self, problem: Problem, solution: str, result: ExecutionResult) -> None:
        self._data[self.key(problem, solution)] = result.to_dict()

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self._data), "utf-8")
        os.replace(tmp, self.path)


def execute_cached(
    tasks: Sequence[Task], cache: ExecutionCache, options: HarnessOptions, log: Log
) -> tuple[list[ExecutionResult], int]:
    """Verdicts of ``tasks`` in order, and how many had to be executed now."""
    todo: dict[str, Task] = {}
    for t in tasks:
        if cache.get(t.problem, t.solution) is None:
            todo.setdefault(ExecutionCache.key(t.problem, t.solution), t)
    done, total, started = 0, len(todo), time.monotonic()
    # A result names only its problem, so each round holds one solution per problem;
    # that lets results be cached (and saved) as they arrive, not when all are done.
    for batch in _rounds(list(todo.values())):
        by_problem = {t.problem.problem_id: t for t in batch}

        def record(result: ExecutionResult, by_problem: dict[int, Task] = by_problem) -> None:
            nonlocal done
            task = by_problem[result.problem_id]
            cache.put(task.problem, task.solution, result)
            done += 1
            if done % 20 == 0 or done == total:
                cache.save()
                rate = done / max(time.monotonic() - started, 1e-9)
                log(f"executed {done}/{total} ({rate:.2f}/s)")

        execute_all(batch, options, on_result=record)
    if total:
        cache.save()
    found = [cache.get(t.problem, t.solution) for t in tasks]
    return [r for r in found if r is not None], total


def _rounds(tasks: Sequence[Task]) -> list[list[Task]]:
    rounds: list[list[Task]] = []
    seen: dict[int, int] = {}
    for t in tasks:
        n = seen.get(t.problem.problem_id, 0)
        seen[t.problem.problem_id] = n + 1
        if n == len(rounds):
            rounds.append([])
        rounds[n].append(t)
    return rounds


def collect_attempts(
    data: DS1000,
    origins: Sequence[Problem],
    models: Sequence[str],
    cache: ExecutionCache,
    options: HarnessOptions,
    log: Log,
) -> tuple[list[Attempt], int]:
    """Every model's executed answers, with verified corrections; and executions run now."""
    tasks: list[tuple[str, Task]] = []
    for model in models:
        answers = data.answers(model)
        tasks += [
            (model, Task(p, postprocess(answers[p.problem_id].code)))
            for p in origins
            if p.problem_id in answers
        ]
    results, executed = execute_cached([t for _, t in tasks], cache, options, log)
    failed = {
        t.problem.problem_id: t.problem
        for (_, t), r in zip(tasks, results, strict=True)
        if not r.passed and r.status is not Status.SKIPPED
    }
    references = [Task(p, p.reference_code) for p in failed.values()]
    checked, more = execute_cached(references, cache, options, log)
    verified = {r.problem_id for r in checked if r.passed}
    attempts = []
    for (model, task), result in zip(tasks, results, strict=True):
        fix = ""
        if not result.passed and task.problem.problem_id in verified:
            fix = task.problem.reference_code
        attempts.append(Attempt(model, task.problem, task.solution, result, fix))
    return attempts, executed + more
