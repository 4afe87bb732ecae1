"""DS-1000 Origin problems as agent experience, for the learning benchmark.

Each model under ``answers/`` is one agent of its own org. Every Origin problem's
answer is executed in the pinned environment (the DS-1000 harness of
``spark_memory.eval``); where it failed, the problem's reference solution is
executed too and, when it passes, becomes the trace's correction (what a user
correcting the agent would supply, verified by execution).

Execution verdicts are cached in one JSON file keyed by (problem id, hash of the
solution), written as results arrive, so an interrupted or repeated run re-executes
nothing it already has.

    python benchmarks/learning_traces.py [--sample N]   # fill the cache only
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from spark_memory.eval import (
    DS1000,
    PINS,
    ExecutionResult,
    HarnessOptions,
    Problem,
    Status,
    Task,
    env_python,
    execute_all,
    postprocess,
)
from spark_memory.models import content_hash

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO.parent / "shared" / "data" / "ds1000"
DEFAULT_ENV = Path(os.environ.get("SPARK_EVAL_ENV", "/work/ds1000-env"))
DEFAULT_CACHE = Path(
    os.environ.get("SPARK_BENCH_CACHE", Path.home() / ".cache" / "spark" / "bench-learning")
)
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
    """Origin problems; a sample keeps every library represented (stratified, seeded)."""
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
    tasks: Sequence[Task], cache: ExecutionCache, options: HarnessOptions, label: str
) -> list[ExecutionResult]:
    """Run what the cache lacks (saving every 20 results), then answer from the cache."""
    todo = [t for t in tasks if cache.get(t.problem, t.solution) is None]
    if todo:
        started, done = time.monotonic(), 0

        def record(result: ExecutionResult) -> None:
            nonlocal done
            done += 1
            task = next(t for t in todo if t.problem.problem_id == result.problem_id)
            cache.put(task.problem, task.solution, result)
            if done % 20 == 0 or done == len(todo):
                cache.save()
                rate = done / max(time.monotonic() - started, 1e-9)
                print(f"  {label}: {done}/{len(todo)} executed ({rate:.2f}/s)", file=sys.stderr)

        execute_all(todo, options, on_result=record)
        cache.save()
    found = [cache.get(t.problem, t.solution) for t in tasks]
    return [r for r in found if r is not None]


def collect_attempts(
    data: DS1000,
    origins: Sequence[Problem],
    models: Sequence[str],
    cache: ExecutionCache,
    options: HarnessOptions,
) -> list[Attempt]:
    """Execute every model's answers and, where any failed, the reference solutions."""
    per_model: dict[str, list[tuple[Problem, str, ExecutionResult]]] = {}
    for model in models:
        answers = data.answers(model)
        tasks = [
            Task(p, postprocess(answers[p.problem_id].code))
            for p in origins
            if p.problem_id in answers
        ]
        results = execute_cached(tasks, cache, options, model)
        per_model[model] = [(t.problem, t.solution, r) for t, r in zip(tasks, results, strict=True)]
    failed = {p.problem_id: p for rows in per_model.values() for p, _, r in rows if not r.passed}
    references = [Task(p, p.reference_code) for p in failed.values()]
    verified = {
        r.problem_id: r.passed for r in execute_cached(references, cache, options, REFERENCE)
    }
    attempts = []
    for model, rows in per_model.items():
        for problem, solution, result in rows:
            fix = ""
            if not result.passed and verified.get(problem.problem_id, False):
                fix = problem.reference_code
            attempts.append(Attempt(model, problem, solution, result, fix))
    return attempts


def harness(env_dir: Path, workers: int, timeout: float) -> HarnessOptions:
    return HarnessOptions(python=env_python(env_dir), workers=workers, timeout=timeout)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--env", type=Path, default=DEFAULT_ENV)
    parser.add_argument("--cache-dir", type=Path, default=DEFAULT_CACHE)
    parser.add_argument("--sample", type=int, default=None)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=120.0)
    args = parser.parse_args(argv)
    data = DS1000(args.data)
    origins = choose_origins(data.problems(), args.sample, args.seed)
    cache = ExecutionCache(args.cache_dir / "executions.json")
    attempts = collect_attempts(
        data, origins, data.models(), cache, harness(args.env, args.workers, args.timeout)
    )
    passed = sum(a.result.passed for a in attempts)
    fixed = sum(bool(a.correction) for a in attempts)
    print(
        f"{len(attempts)} attempts on {len(origins)} problems: {passed} passed, {fixed} corrected"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
