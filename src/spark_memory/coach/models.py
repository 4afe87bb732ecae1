"""The coach's request, intent and recommendation models: defined in ``spark_memory.advice``.

They sit below every layer there, so the Python client returns a ``Recommendation``
without importing the coach. Edit them in ``advice.py``.
"""

from spark_memory.advice import (
    DEFAULT_BUDGET_TOKENS,
    MAX_BUDGET_TOKENS,
    MAX_ENVIRONMENT_PACKAGES,
    MIN_BUDGET_TOKENS,
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

__all__ = [
    "DEFAULT_BUDGET_TOKENS",
    "MAX_BUDGET_TOKENS",
    "MAX_ENVIRONMENT_PACKAGES",
    "MIN_BUDGET_TOKENS",
    "ApiMention",
    "Citation",
    "Claim",
    "CoachRequest",
    "CodeSketch",
    "Intent",
    "Mode",
    "PlannedQuery",
    "Recommendation",
    "TaskKind",
    "TokenUsage",
]
