"""The coach: Spark's retrieval agent behind ``Spark.recommend`` (see ``agent``).

agent       the eight steps, over a Retriever port and an optional chat model
intent      step 1: libraries, look-alikes, task kind, error signature, versions
plan        step 2: a few focused queries
recall      steps 3-4: fusion of queries, named and guessed symbols, experience
extractive  steps 5-7 without an LLM;  drafting: steps 5-7 with one
budget      step 8: the recommendation within the caller's token budget
"""

from spark_memory.coach.agent import Coach, make_request
from spark_memory.coach.models import (
    ApiMention,
    Citation,
    Claim,
    CoachRequest,
    CodeSketch,
    Intent,
    Mode,
    PlannedQuery,
    Recommendation,
    TaskKind,
    TokenUsage,
)
from spark_memory.coach.recall import Retriever
from spark_memory.coach.render import estimate_tokens, render

__all__ = [
    "ApiMention",
    "Citation",
    "Claim",
    "Coach",
    "CoachRequest",
    "CodeSketch",
    "Intent",
    "Mode",
    "PlannedQuery",
    "Recommendation",
    "Retriever",
    "TaskKind",
    "TokenUsage",
    "estimate_tokens",
    "make_request",
    "render",
]
