"""What the evaluated model reads: the DS-1000 prompt, with or without Spark's advice.

Conditions (the ablation): ``none`` is the bare DS-1000 prompt; ``docs``,
``experience`` and ``both`` put Spark's recommendation for that prompt, drawn from
documentation snippets, curated insights or both, in a fenced section *before* the
prompt. The prompt stays last because DS-1000 prompts end where the solution
begins (``BEGIN SOLUTION\\n<code>``) and upstream's post-processing relies on the
model continuing from there.
"""

from __future__ import annotations

from enum import StrEnum

from spark_memory.coach.render import estimate_tokens
from spark_memory.models import DocType
from spark_memory.providers.llm import ChatMessage

__all__ = [
    "ADVICE_BEGIN",
    "ADVICE_END",
    "DOC_TYPES",
    "Condition",
    "build_prompt",
    "estimate_tokens",
    "messages",
    "parse_conditions",
]


class Condition(StrEnum):
    NONE = "none"
    DOCS = "docs"
    EXPERIENCE = "experience"
    BOTH = "both"


# What recommend may draw on under each Spark condition.
DOC_TYPES: dict[Condition, tuple[DocType, ...]] = {
    Condition.DOCS: (DocType.SNIPPET,),
    Condition.EXPERIENCE: (DocType.INSIGHT,),
    Condition.BOTH: (DocType.SNIPPET, DocType.INSIGHT),
}

ADVICE_BEGIN = "=== BEGIN SPARK RECOMMENDATION ==="
ADVICE_END = "=== END SPARK RECOMMENDATION ==="
ADVICE_INTRO = (
    "Advice retrieved by Spark, a memory of library documentation and of other coding "
    "agents' experience, for the problem below. It may be incomplete or not apply; "
    "use what helps and ignore the rest."
)


def parse_conditions(text: str) -> tuple[Condition, ...]:
    """``"none,docs"`` -> conditions in the given order; ``none`` is always included,
    since every Spark condition is compared with it."""
    names = [n.strip().lower() for n in text.split(",") if n.strip()]
    known = {c.value for c in Condition}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ValueError(f"unknown condition {unknown}; choose from {sorted(known)}")
    chosen = [Condition(n) for n in dict.fromkeys(names)]
    return tuple([Condition.NONE] + [c for c in chosen if c is not Condition.NONE])


def build_prompt(problem_prompt: str, advice: str | None) -> str:
    if advice is None:
        return problem_prompt
    return f"{ADVICE_INTRO}\n{ADVICE_BEGIN}\n{advice.strip()}\n{ADVICE_END}\n\n{problem_prompt}"


def messages(problem_prompt: str, advice: str | None) -> list[ChatMessage]:
    """One user message and no system prompt: the advice section is the only
    difference between conditions."""
    return [ChatMessage("user", build_prompt(problem_prompt, advice))]
