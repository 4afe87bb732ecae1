"""What the coach takes and returns: a request, the inferred intent, the recommendation.

Every claim of a recommendation (guidance, each step, each pitfall, the code sketch)
names the ids of the snippets or insights it rests on, and each of those ids has a
citation with a one-line reason, so an agent can check any sentence at its source.

These models live in this leaf module, below every layer, so the Python client can
return a ``Recommendation`` without importing the coach; ``coach.models`` re-exports
them for the coach's own modules.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from spark_memory.models import API_KINDS, DocType

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

# Default size of a recommendation in an agent's context; small on purpose.
DEFAULT_BUDGET_TOKENS = 800
MIN_BUDGET_TOKENS = 150
MAX_BUDGET_TOKENS = 8_000
MAX_ENVIRONMENT_PACKAGES = 2_000


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Mode(StrEnum):
    """How a recommendation is written: ``auto`` uses the LLM when one is configured."""

    AUTO = "auto"
    LLM = "llm"
    EXTRACTIVE = "extractive"


class TaskKind(StrEnum):
    FIX_ERROR = "fix-error"
    PLOT = "plot"
    DATA_WRANGLING = "data-wrangling"
    NUMERIC = "numeric"
    MODEL_TRAINING = "model-training"
    IO = "io"
    PERFORMANCE = "performance"
    GENERAL = "general"


class CoachRequest(_Model):
    task: str
    code: str = ""
    error: str = ""
    environment: dict[str, str] = Field(default_factory=dict)  # package -> version
    budget_tokens: int = DEFAULT_BUDGET_TOKENS
    mode: Mode = Mode.AUTO
    # What to draw on: documentation snippets, curated insights, or both (ablations).
    doc_types: list[DocType] = Field(default_factory=lambda: [DocType.SNIPPET, DocType.INSIGHT])


class ApiMention(_Model):
    """An API name the request mentions, qualified through its imports when possible."""

    name: str  # numpy.where, sklearn.feature_extraction.text.CountVectorizer, value_counts
    where: str  # error | prose | code


class Intent(_Model):
    """What the coach understood the caller is doing (step 1)."""

    libraries: list[str] = Field(default_factory=list)  # most certain first
    versions: dict[str, str] = Field(default_factory=dict)  # library -> version in use
    # library -> look-alike libraries whose APIs must not be mixed in
    lookalikes: dict[str, list[str]] = Field(default_factory=dict)
    task_kind: TaskKind = TaskKind.GENERAL
    error_type: str = ""
    error_signature: str = ""
    api_names: list[ApiMention] = Field(default_factory=list)
    aliases: dict[str, str] = Field(default_factory=dict)  # import alias -> module path


class PlannedQuery(_Model):
    """One focused query of the search plan (step 2) and what it found."""

    purpose: str  # task | question | api | error | whole
    text: str  # what the full-text channel searches
    embed: str = ""  # what the vector channel embeds (a shorter cut of the same text)
    hits: int = 0


class Claim(_Model):
    text: str
    sources: list[str] = Field(default_factory=list)  # snippet / insight ids


class CodeSketch(_Model):
    code: str = ""
    sources: list[str] = Field(default_factory=list)


class Citation(_Model):
    id: str
    doc_type: DocType
    library: str = ""
    version: str = ""
    symbol: str = ""
    kind: str = ""  # snippet kind (api, guide, example, note) or insight kind
    title: str = ""
    reason: str  # one line: why this source supports the claims citing it
    trust: float | None = None  # insights only: lower credible bound of their trust


class TokenUsage(_Model):
    budget: int
    used: int  # estimated tokens of the recommendation as delivered to the caller
    llm_prompt: int = 0
    llm_completion: int = 0
    llm_calls: int = 0


class Recommendation(_Model):
    guidance: Claim
    steps: list[Claim] = Field(default_factory=list)
    pitfalls: list[Claim] = Field(default_factory=list)
    code_sketch: CodeSketch = Field(default_factory=CodeSketch)
    citations: list[Citation] = Field(default_factory=list)
    intent: Intent = Field(default_factory=Intent)
    queries: list[PlannedQuery] = Field(default_factory=list)
    mode: Mode = Mode.EXTRACTIVE
    model: str = ""  # the LLM that wrote it, empty for extractive
    tokens: TokenUsage

    @property
    def apis(self) -> list[str]:
        """Distinct API symbols the recommendation cites, in citation order."""
        return list(
            dict.fromkeys(
                c.symbol
                for c in self.citations
                if c.symbol and c.doc_type is DocType.SNIPPET and c.kind in API_KINDS
            )
        )

    def cited_ids(self) -> set[str]:
        return {c.id for c in self.citations}

    def claims(self) -> list[Claim]:
        sketch = Claim(text=self.code_sketch.code, sources=self.code_sketch.sources)
        claims = [self.guidance, *self.steps, *self.pitfalls]
        return claims + ([sketch] if sketch.text else [])
