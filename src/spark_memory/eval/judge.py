"""An optional LLM judge for `spark eval coach`: code quality 1-5 and helpfulness bands.

The rubric is ``judge_rubric.md`` beside this module (package data), sent verbatim
as the system prompt so that what was asked is exactly what the repository shows.
Replies are parsed strictly: one JSON object with ``code_quality`` (an integer 1-5),
``helpfulness`` (a band, or ``none`` when no advice was given) and optionally
``reason``. Anything else, or a failing call, is recorded as *unscored* with the
reason; it never stops the run and is never guessed into a score.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, replace
from functools import cache
from importlib import resources
from typing import Any

from spark_memory.errors import MalformedReply, ProviderError
from spark_memory.providers.llm import ChatMessage, ChatModel

HELPFULNESS_BANDS = ("misleading", "irrelevant", "marginal", "helpful", "essential")
NO_ADVICE = "none"
_KEYS = frozenset({"code_quality", "helpfulness", "reason"})
MAX_SOLUTION_CHARS = 6_000


@dataclass(frozen=True)
class Verdict:
    code_quality: int | None = None
    helpfulness: str | None = None  # a band, or None for the none condition / unscored
    reason: str = ""
    unscored: str = ""  # why there is no score; empty when scored
    prompt_tokens: int = 0
    completion_tokens: int = 0
    seconds: float = 0.0

    @property
    def scored(self) -> bool:
        return not self.unscored

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@cache
def rubric() -> str:
    return resources.files("spark_memory.eval").joinpath("judge_rubric.md").read_text("utf-8")


def parse_verdict(text: str, advised: bool) -> tuple[int, str | None, str]:
    """(code_quality, helpfulness band or None, reason); MalformedReply otherwise."""
    try:
        obj = json.loads(text.strip())
    except json.JSONDecodeError as exc:
        raise MalformedReply(f"not a JSON object: {text[:120]!r}") from exc
    if not isinstance(obj, dict) or not {"code_quality", "helpfulness"} <= obj.keys():
        raise MalformedReply("needs an object with code_quality and helpfulness")
    if extra := obj.keys() - _KEYS:
        raise MalformedReply(f"unexpected keys {sorted(extra)}")
    quality = obj["code_quality"]
    if isinstance(quality, bool) or not isinstance(quality, int) or not 1 <= quality <= 5:
        raise MalformedReply(f"code_quality must be an integer 1-5, got {quality!r}")
    band = obj["helpfulness"]
    allowed = HELPFULNESS_BANDS if advised else (NO_ADVICE,)
    if band not in allowed:
        raise MalformedReply(f"helpfulness must be one of {list(allowed)}, got {band!r}")
    reason = obj.get("reason", "")
    if not isinstance(reason, str):
        raise MalformedReply("reason must be a string")
    return quality, (band if advised else None), reason


def judge_prompt(problem: str, solution: str, passed: bool, advice: str | None) -> str:
    parts = [
        "## Problem\n" + problem,
        "## Recommendation given to the model\n" + (advice if advice else "(none)"),
        "## Candidate solution\n" + solution[:MAX_SOLUTION_CHARS],
        "## Execution test\n" + ("passed" if passed else "failed"),
    ]
    return "\n\n".join(parts)


class Judge:
    def __init__(self, chat: ChatModel, *, max_tokens: int = 300) -> None:
        self.chat = chat
        self.max_tokens = max_tokens

    @property
    def model_name(self) -> str:
        return self.chat.model_name

    def score(self, problem: str, solution: str, passed: bool, advice: str | None) -> Verdict:
        messages = [
            ChatMessage("system", rubric()),
            ChatMessage("user", judge_prompt(problem, solution, passed, advice)),
        ]
        start = time.perf_counter()
        try:
            reply = self.chat.chat(messages, max_tokens=self.max_tokens, temperature=0.0)
        except ProviderError as exc:
            return Verdict(unscored=f"judge call failed: {exc.message}")
        seconds = time.perf_counter() - start
        spent = Verdict(
            seconds=seconds,
            prompt_tokens=reply.prompt_tokens,
            completion_tokens=reply.completion_tokens,
        )
        try:
            quality, band, reason = parse_verdict(reply.text, advised=advice is not None)
        except MalformedReply as exc:
            return replace(spent, unscored=f"malformed judge reply: {exc.message}")
        return replace(spent, code_quality=quality, helpfulness=band, reason=reason)
