"""What callers send: the request of each agent verb, with the limits callers can read.

One definition each, below every layer: the HTTP routes take them as bodies (and the
OpenAPI document shows their limits), the Python client sends them, and the MCP tools
share their limits. Requests forbid unknown fields: a body that claims an ``org_id`` or
``agent_id`` is refused, because the tenant comes from the API key alone. The limits
mirror the service's (``models.MAX_*``), so a request the schema admits is judged by
the service on its meaning, not its size.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from spark_memory.advice import DEFAULT_BUDGET_TOKENS, MAX_BUDGET_TOKENS, MIN_BUDGET_TOKENS, Mode
from spark_memory.models import (
    MAX_K,
    MAX_QUERY_CHARS,
    MAX_TAGS,
    MAX_TEXT_CHARS,
    MAX_TITLE_CHARS,
    InsightKind,
    Outcome,
    Role,
)

# The header naming an agent session over HTTP (what it was served, for `spark run`).
SESSION_HEADER = "X-Spark-Session"
SecretPolicy = Literal["redact", "reject"]  # what a write does with a secret it carries

MAX_NAME_CHARS = 200  # library names, package names and versions, tags, ids
MAX_ENVIRONMENT = 200  # packages in an environment (the learning loop's limit)
MAX_FILTERS = 32
MAX_COMMENT_CHARS = 4_000

Name = Annotated[str, StringConstraints(min_length=1, max_length=MAX_NAME_CHARS)]
Id = Annotated[str, StringConstraints(min_length=1, max_length=MAX_TITLE_CHARS)]
Query = Annotated[str, StringConstraints(min_length=1, max_length=MAX_QUERY_CHARS)]
Text = Annotated[str, StringConstraints(max_length=MAX_TEXT_CHARS)]
RequiredText = Annotated[str, StringConstraints(min_length=1, max_length=MAX_TEXT_CHARS)]
# JSON numbers and booleans as themselves: `true` is not a duration, nor 1.0 a count.
StrictBool = Annotated[bool, Field(strict=True)]
Environment = Annotated[
    dict[Name, Annotated[str, StringConstraints(max_length=MAX_NAME_CHARS)]],
    Field(max_length=MAX_ENVIRONMENT, description="package -> installed version"),
]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")

    @classmethod
    def given(cls: type[B], **fields: Any) -> B:
        """The request as the caller gave it, not yet judged.

        The service judges every request itself, with its own reasons ("needs a task",
        "outcome must be one of ..."), and so does the server behind the client; an
        in-process adapter hands the fields over as they came. ``None`` stands for "not
        given" where the field's default is not ``None``.
        """
        kept = {
            name: value
            for name, value in fields.items()
            if value is not None or _default(cls, name) is None
        }
        return cls.model_construct(**kept)


B = TypeVar("B", bound=_Body)


def _default(model: type[_Body], name: str) -> Any:
    field = model.model_fields.get(name)
    return None if field is None else field.get_default(call_default_factory=True)


def given(model: type[B], args: tuple[Any, ...], fields: Mapping[str, Any]) -> B:
    """A verb's request: the model itself, or its fields, the leading ones by position.

    Each verb is declared once, as its request model; the façade and the client take
    the model, or its fields the way callers write them
    (``record_trace("sort an array", outcome="passed")``), never a second signature.
    """
    if args and isinstance(args[0], model):
        if len(args) > 1 or fields:
            raise TypeError(f"give a {model.__name__} or its fields, not both")
        return args[0]
    names = list(model.model_fields)
    if len(args) > len(names):
        raise TypeError(f"{model.__name__} has {len(names)} fields, {len(args)} were given")
    positional = dict(zip(names, args, strict=False))
    twice = sorted(set(positional) & set(fields))
    if twice:
        raise TypeError(f"{', '.join(twice)} given by position and by name")
    return model.given(**positional, **fields)


class SearchBody(_Body):
    query: Query
    libraries: list[Name] = Field(default_factory=list, max_length=MAX_FILTERS)
    versions: dict[Name, Name] = Field(default_factory=dict, max_length=MAX_FILTERS)
    kinds: list[Name] = Field(default_factory=list, max_length=MAX_FILTERS)
    k: int = Field(default=10, ge=1, le=MAX_K, strict=True)


class RecommendBody(_Body):
    task: Query
    code: Text = ""
    error: Text = ""
    environment: Environment = Field(default_factory=dict)
    budget_tokens: int = Field(
        default=DEFAULT_BUDGET_TOKENS, ge=MIN_BUDGET_TOKENS, le=MAX_BUDGET_TOKENS, strict=True
    )
    mode: Mode = Mode.AUTO


class EvidenceBody(_Body):
    failing_code: Text = ""
    error: Text = ""
    fix: Text = ""


class MemoryBody(_Body):
    title: Annotated[str, StringConstraints(min_length=1, max_length=MAX_TITLE_CHARS)]
    content: RequiredText
    query: Annotated[str, StringConstraints(max_length=MAX_QUERY_CHARS)] = ""
    tags: list[Name] = Field(default_factory=list, max_length=MAX_TAGS)
    kind: InsightKind = InsightKind.PRACTICE
    scope: Literal["private", "org"] = "org"
    evidence: EvidenceBody = Field(default_factory=EvidenceBody)
    secrets: SecretPolicy | None = Field(
        default=None, description="what a secret in the text gets; default: the policy's (redact)"
    )


class EnrichBody(_Body):
    addition: RequiredText
    tags: list[Name] = Field(default_factory=list, max_length=MAX_TAGS)
    query: Annotated[str, StringConstraints(max_length=MAX_QUERY_CHARS)] = ""


class FeedbackBody(_Body):
    target_id: Id
    relevant: StrictBool | None = None
    correct: StrictBool | None = None
    verified: Literal["passed", "failed"] | None = None
    comment: Annotated[str, StringConstraints(max_length=MAX_COMMENT_CHARS)] = ""


class TraceBody(_Body):
    task: RequiredText
    code: Text = ""
    outcome: Outcome = Outcome.UNKNOWN
    test_output: Text = ""
    error: Text = ""
    correction: Text = ""
    environment: Environment = Field(default_factory=dict)
    model: Annotated[str, StringConstraints(max_length=MAX_NAME_CHARS)] = ""
    served_ids: list[Id] = Field(
        default_factory=list,
        max_length=MAX_K,
        description="ids Spark served the agent; empty: those served in this session",
    )
    secrets: SecretPolicy | None = Field(
        default=None, description="what a secret in the text gets; default: the policy's (redact)"
    )


class RunBody(_Body):
    """The outcome of a test or build command the agent ran (``spark run``)."""

    command: Annotated[str, StringConstraints(min_length=1, max_length=MAX_QUERY_CHARS)]
    exit_code: int = Field(ge=-255, le=255, strict=True)
    outcome: Outcome
    duration_s: float = Field(ge=0.0, le=7 * 24 * 3600.0, strict=True)
    failing_tests: list[Id] = Field(default_factory=list, max_length=MAX_K)
    error: Text = ""
    test_output: Text = ""
    environment: Environment = Field(default_factory=dict)
    task: Annotated[str, StringConstraints(max_length=MAX_QUERY_CHARS)] = ""


class EraseBody(_Body):
    agent_id: Annotated[str, StringConstraints(min_length=1, max_length=MAX_NAME_CHARS)] | None = (
        None
    )
    whole_org: StrictBool = False


class KeyBody(_Body):
    agent: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,62}$")]
    role: Role = Role.WRITER
