"""Benchmarks over DS-1000: loading the data and executing candidate solutions.

    ds1000        problems, model answers and API targets as typed dataclasses
    postprocess   upstream's clean-up of raw model output into a solution
    execution     the test harness: one fresh interpreter per program, in parallel
    environment   the pinned interpreter the harness runs candidates in

Typical use::

    data = DS1000(Path("../shared/data/ds1000"))
    problems = data.problems()
    answers = data.answers("gpt-4o-2024-08-06")
    tasks = [Task(p, postprocess(answers[p.problem_id].code)) for p in problems]
    results = execute_all(tasks, HarnessOptions(python=env_python(Path("/work/ds1000-env"))))
    print(summarize(results).overall.pass_rate)
"""

from spark_memory.eval.ds1000 import (
    DS1000,
    LIBRARIES,
    PERTURBATION_TYPES,
    Answer,
    ApiTarget,
    Problem,
    ProblemMetadata,
    load_answers,
    load_api_targets,
    load_problems,
    select,
)
from spark_memory.eval.environment import PINS, create_environment, env_python
from spark_memory.eval.execution import (
    ExecutionResult,
    HarnessOptions,
    Status,
    Summary,
    Tally,
    Task,
    build_test_program,
    execute,
    execute_all,
    summarize,
)
from spark_memory.eval.postprocess import postprocess

__all__ = [
    "DS1000",
    "LIBRARIES",
    "PERTURBATION_TYPES",
    "PINS",
    "Answer",
    "ApiTarget",
    "ExecutionResult",
    "HarnessOptions",
    "Problem",
    "ProblemMetadata",
    "Status",
    "Summary",
    "Tally",
    "Task",
    "build_test_program",
    "create_environment",
    "env_python",
    "execute",
    "execute_all",
    "load_answers",
    "load_api_targets",
    "load_problems",
    "postprocess",
    "select",
    "summarize",
]
