"""`spark eval coach`: a model solves DS-1000 problems with and without Spark's advice.

For every chosen problem and condition: Spark recommends (not for ``none``), the
model answers over the OpenAI-compatible API, upstream's post-processing turns the
answer into a solution, and the harness executes it in the pinned environment.
Each step's cost is kept per attempt: prompt and completion tokens (the API's
``usage``; where a server sends none, an estimate from words and punctuation marks,
flagged as such), the model call's latency and recommend's latency, separately.

A model call that fails is recorded on its attempt and the run goes on; only an
endpoint that fails its first calls (unreachable, wrong URL, bad key) stops it,
with the first error, since every later call would fail the same way.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from typing import Any

from spark_memory.coach.models import Mode
from spark_memory.coach.render import render
from spark_memory.errors import InvalidInput, ProviderError
from spark_memory.eval.coach_prompt import DOC_TYPES, Condition, estimate_tokens, messages
from spark_memory.eval.ds1000 import Problem, select
from spark_memory.eval.execution import HarnessOptions, Status, Task, execute_all
from spark_memory.eval.judge import Judge, Verdict
from spark_memory.eval.postprocess import postprocess
from spark_memory.models import LOCAL_PRINCIPAL, MAX_QUERY_CHARS
from spark_memory.providers.llm import ChatModel
from spark_memory.service import Spark

MODEL_ERROR = "model-error"
# An endpoint whose first calls all fail is down or misconfigured: stop, do not
# spend hours recording the same failure for every problem.
ABORT_AFTER_FAILURES = 4

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class CoachOptions:
    conditions: tuple[Condition, ...]
    max_tokens: int = 1024
    temperature: float = 0.0
    budget_tokens: int = 800  # size of Spark's recommendation in the prompt
    coach_mode: Mode = Mode.EXTRACTIVE
    workers: int = 2  # model calls at once


@dataclass
class Attempt:
    """One problem under one condition, from advice to verdict."""

    problem: Problem
    condition: Condition
    advice: str | None = None
    cited: list[str] = field(default_factory=list)
    spark_seconds: float = 0.0
    completion: str = ""
    solution: str = ""
    prompt_tokens: int = 0
    completion_tokens: int = 0
    tokens_estimated: bool = False
    model_seconds: float = 0.0
    model_error: str = ""
    status: str = ""  # an execution Status value, or MODEL_ERROR
    test_error: str = ""
    judge: Verdict | None = None

    @property
    def passed(self) -> bool:
        return self.status == Status.PASSED.value

    @property
    def has_verdict(self) -> bool:
        """Whether the test ran: the only attempts pass@1 counts."""
        return self.status in (Status.PASSED, Status.FAILED, Status.TIMEOUT)

    def to_dict(self) -> dict[str, Any]:
        data = {k: v for k, v in asdict(self).items() if k not in ("problem", "judge")}
        return {
            "problem_id": self.problem.problem_id,
            "library": self.problem.library,
            "perturbation": self.problem.perturbation_type,
            **data,
            "condition": self.condition.value,
            "judge": self.judge.to_dict() if self.judge else None,
        }


def choose_problems(
    problems: Sequence[Problem],
    *,
    libraries: Sequence[str] = (),
    problem_ids: Sequence[int] = (),
    sample: int | None = None,
    seed: int = 0,
) -> tuple[list[Problem], list[int]]:
    """The problems to run, and the ids left out because their test needs the network
    (they fail for every candidate offline, so asking a model about them is waste)."""
    chosen = select(problems, libraries, problem_ids)
    offline = [p for p in chosen if p.network_data_call is None]
    left_out = [p.problem_id for p in chosen if p.network_data_call is not None]
    if sample is not None and sample < len(offline):
        offline = sorted(random.Random(seed).sample(offline, sample), key=lambda p: p.problem_id)
    if not offline:
        raise InvalidInput("no problem matches the filters")
    return offline, left_out


class CoachEval:
    def __init__(
        self,
        spark: Spark | None,
        chat: ChatModel,
        options: CoachOptions,
        harness: HarnessOptions,
        judge: Judge | None = None,
    ) -> None:
        if spark is None and any(c is not Condition.NONE for c in options.conditions):
            raise InvalidInput("a Spark condition needs a Spark store")
        self.spark = spark
        self.chat = chat
        self.options = options
        self.harness = harness
        self.judge = judge

    def attempts(self, problems: Sequence[Problem]) -> list[Attempt]:
        return [Attempt(p, c) for p in problems for c in self.options.conditions]

    def advise(self, attempts: Sequence[Attempt], progress: Progress | None = None) -> None:
        """Spark's recommendation for each with-Spark attempt, timed alone."""
        todo = [a for a in attempts if a.condition is not Condition.NONE]
        for n, attempt in enumerate(todo, 1):
            assert self.spark is not None  # checked in __init__
            start = time.perf_counter()
            rec = self.spark.recommend(
                attempt.problem.prompt[:MAX_QUERY_CHARS],
                budget_tokens=self.options.budget_tokens,
                mode=self.options.coach_mode,
                doc_types=DOC_TYPES[attempt.condition],
                principal=LOCAL_PRINCIPAL,
            )
            attempt.spark_seconds = time.perf_counter() - start
            attempt.advice = render(rec)
            attempt.cited = [c.id for c in rec.citations]
            if progress:
                progress(n, len(todo))

    def ask(self, attempts: Sequence[Attempt], progress: Progress | None = None) -> None:
        """The model's answer to each attempt's prompt, ``workers`` calls at once."""
        failures: list[ProviderError] = []
        with ThreadPoolExecutor(max_workers=self.options.workers) as pool:
            futures = [pool.submit(self._ask_one, a) for a in attempts]
            for done, future in enumerate(as_completed(futures), 1):
                error = future.result()
                if error is not None:
                    failures.append(error)
                if len(failures) == done == min(ABORT_AFTER_FAILURES, len(attempts)):
                    for f in futures:
                        f.cancel()
                    raise type(failures[0])(
                        f"the first {done} model calls failed; the first: {failures[0].message}"
                    )
                if progress:
                    progress(done, len(attempts))

    def _ask_one(self, attempt: Attempt) -> ProviderError | None:
        chat_messages = messages(attempt.problem.prompt, attempt.advice)
        start = time.perf_counter()
        try:
            reply = self.chat.chat(
                chat_messages,
                max_tokens=self.options.max_tokens,
                temperature=self.options.temperature,
            )
        except ProviderError as exc:
            attempt.model_seconds = time.perf_counter() - start
            attempt.model_error, attempt.status = exc.message, MODEL_ERROR
            return exc
        attempt.model_seconds = time.perf_counter() - start
        attempt.completion = reply.text
        attempt.solution = postprocess(reply.text)
        attempt.prompt_tokens, attempt.completion_tokens = (
            reply.prompt_tokens,
            reply.completion_tokens,
        )
        if not (reply.prompt_tokens or reply.completion_tokens):
            # the server sent no usage: estimate, and say so in the report
            attempt.prompt_tokens = estimate_tokens(chat_messages[0].content)
            attempt.completion_tokens = estimate_tokens(reply.text)
            attempt.tokens_estimated = True
        return None

    def execute(self, attempts: Sequence[Attempt], progress: Progress | None = None) -> None:
        answered = [a for a in attempts if a.status != MODEL_ERROR]
        tasks = [Task(a.problem, a.solution) for a in answered]
        count = 0

        def tick(_: object) -> None:
            nonlocal count
            count += 1
            if progress:
                progress(count, len(tasks))

        results = execute_all(tasks, self.harness, on_result=tick)
        for attempt, result in zip(answered, results, strict=True):
            attempt.status, attempt.test_error = result.status.value, result.error

    def score(self, attempts: Sequence[Attempt], progress: Progress | None = None) -> None:
        if self.judge is None:
            return
        judge = self.judge
        scorable = [a for a in attempts if a.status != MODEL_ERROR]

        def one(a: Attempt) -> None:
            a.judge = judge.score(a.problem.prompt, a.solution, a.passed, a.advice)

        with ThreadPoolExecutor(max_workers=self.options.workers) as pool:
            futures = [pool.submit(one, a) for a in scorable]
            for done, future in enumerate(as_completed(futures), 1):
                future.result()
                if progress:
                    progress(done, len(scorable))
