"""The seven MCP tools: their schemas (with limits), descriptions, and calls.

A description tells the agent *when* to call the tool; that sentence is what makes an
agent consult Spark before writing code and report back after its tests ran. A
``Seat`` is the caller as the tools see it: the verbs bound to its principal (local
façade or remote client) and its agent session, which notes every id served.
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Literal, Protocol, TypeVar

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import CallToolResult, TextContent, ToolAnnotations
from pydantic import BaseModel, Field

from spark_memory.advice import DEFAULT_BUDGET_TOKENS, MAX_BUDGET_TOKENS, MIN_BUDGET_TOKENS
from spark_memory.errors import NotFound, SparkError
from spark_memory.mcp import shaping
from spark_memory.mcp.shaping import MemoryResult, RecommendResult, SearchResult, WriteOut
from spark_memory.models import (
    MAX_K,
    MAX_QUERY_CHARS,
    MAX_TAGS,
    MAX_TEXT_CHARS,
    MAX_TITLE_CHARS,
    Evidence,
    Insight,
    InsightKind,
    Outcome,
    Snippet,
)
from spark_memory.requests import (
    EnrichBody,
    FeedbackBody,
    MemoryBody,
    RecommendBody,
    SearchBody,
    TraceBody,
)
from spark_memory.service.sessions import SessionLog
from spark_memory.service.verbs import AgentApi

T = TypeVar("T")
MAX_FETCH = 10
MAX_ENVIRONMENT = 200


@dataclass(frozen=True)
class Seat:
    api: AgentApi
    # None: no session to note served ids in (no session header, or a remote server
    # that keeps the ledger itself).
    log: SessionLog | None = None

    def note(self, ids: list[str]) -> None:
        if self.log is not None:
            self.log.served(ids)

    def served(self) -> list[str]:
        return [] if self.log is None else self.log.since_last_run()

    def check_served(self, ids: list[str]) -> None:
        """Refuse ids this session was never served (with no session, nothing to check)."""
        if self.log is None or not ids:
            return
        known = self.log.ever_served()
        unknown = [i for i in dict.fromkeys(ids) if i not in known]
        if unknown:
            raise ToolError(
                f"InvalidInput: served_ids names ids Spark did not serve in this session:"
                f" {', '.join(unknown[:10])}; leave served_ids out and Spark links what it"
                " served you"
            )


SeatFor = Callable[[Context], Seat]


class ToolMetrics(Protocol):
    """Where tool calls are counted (the HTTP server's Prometheus metrics)."""

    def tool_call(self, tool: str, ok: bool, seconds: float) -> None: ...


# --- input types: every field has a limit an agent can read in the schema -------------------
Task = Annotated[
    str, Field(min_length=1, max_length=MAX_QUERY_CHARS, description="what you are trying to do")
]
Query = Annotated[str, Field(min_length=1, max_length=MAX_QUERY_CHARS)]
Code = Annotated[str, Field(max_length=MAX_TEXT_CHARS, description="the relevant code, if any")]
ErrorText = Annotated[
    str, Field(max_length=MAX_TEXT_CHARS, description="the error message or traceback")
]
LongText = Annotated[str, Field(max_length=MAX_TEXT_CHARS)]
Content = Annotated[str, Field(min_length=1, max_length=MAX_TEXT_CHARS)]
Title = Annotated[str, Field(min_length=1, max_length=MAX_TITLE_CHARS)]
Id = Annotated[str, Field(min_length=1, max_length=MAX_TITLE_CHARS)]
Name = Annotated[str, Field(min_length=1, max_length=200)]
Environment = Annotated[
    dict[Name, Annotated[str, Field(max_length=200)]],
    Field(max_length=MAX_ENVIRONMENT, description="installed package -> version"),
]
Names = Annotated[list[Name], Field(max_length=MAX_TAGS)]
Ids = Annotated[list[Id], Field(min_length=1, max_length=MAX_FETCH)]
ServedIds = Annotated[list[Id], Field(max_length=MAX_K)]
Budget = Annotated[int, Field(ge=MIN_BUDGET_TOKENS, le=MAX_BUDGET_TOKENS)]
K = Annotated[int, Field(ge=1, le=50)]
Verdict = Literal["passed", "failed"]
TraceOutcome = Literal["passed", "failed", "error", "unknown"]
Kind = Literal["practice", "pitfall", "workaround", "convention"]
MemoryScope = Literal["private", "org"]
IdempotencyKey = Annotated[
    str, Field(max_length=200, description="the same key again: stored once (for retries)")
]

RecommendOut = Annotated[CallToolResult, RecommendResult]
SearchOut = Annotated[CallToolResult, SearchResult]
MemoryOut = Annotated[CallToolResult, MemoryResult]
WriteResultOut = Annotated[CallToolResult, WriteOut]

READ = ToolAnnotations(read_only_hint=True, open_world_hint=False)
WRITE = ToolAnnotations(read_only_hint=False, destructive_hint=False, open_world_hint=False)

RECOMMEND = """Advice from Spark's shared memory of documentation and other agents' experience.
Call it BEFORE writing code that uses a library (pass the task and your installed
versions), and AGAIN WHEN you hit an error (pass the error text and the code). Returns
guidance, steps, pitfalls and a code sketch, each citing source ids; fetch a source in
full with get_memory. Stays within budget_tokens."""

SEARCH = """Look up documentation snippets and lessons by keywords, e.g. an API name or an
error message, when you need one specific fact rather than advice. One line per hit
with its id; call get_memory for the full text."""

GET_MEMORY = """The full text of snippets or insights by id (ids come from search and
recommend), within budget_tokens. Call it when a one-line summary is not enough."""

CREATE_MEMORY = """Save a lesson for your team AFTER you fixed a non-obvious problem or found a
convention others will need: what to do (content, markdown), what someone would search to
find it (query), library tags (e.g. pandas:2.2), and the evidence (failing code, error,
fix). Never include secrets; unsafe advice is refused."""

ENRICH_MEMORY = """Add to an existing insight of your org when you learned more about the
same problem (an extra case, a version note). Use create_memory for a different lesson."""

SHARE_FEEDBACK = """Tell Spark whether a snippet or insight it served helped: AFTER your tests
ran having followed it, give verified='passed' or 'failed'; otherwise relevant / correct.
Your latest vote on an id is the one that counts."""

RECORD_TRACE = """Report what you tried and how it ended AFTER tests ran (passed or failed):
the task, the code, the outcome, the error and, once fixed, the correction. Ids Spark
served you in this session are linked automatically. If you can, run tests through
`spark run -- <your test command>` instead: it records this for you."""

_TEXT = f"{MAX_TEXT_CHARS:,}"
_QUERY = f"{MAX_QUERY_CHARS:,}"
_BUDGET = f"budget_tokens {MIN_BUDGET_TOKENS:,} to {MAX_BUDGET_TOKENS:,}"
_STRICT = "Arguments not listed are refused."
LIMITS = {
    "recommend": f"task up to {_QUERY} characters; code and error up to {_TEXT} each;"
    f" environment up to {MAX_ENVIRONMENT} packages; {_BUDGET} (default {DEFAULT_BUDGET_TOKENS}).",
    "search": f"query up to {_QUERY} characters; up to {MAX_TAGS} libraries; k 1 to 50"
    f" (default 8); {_BUDGET} (default 400).",
    "get_memory": f"1 to {MAX_FETCH} ids; {_BUDGET} (default 1,500).",
    "create_memory": f"title up to {MAX_TITLE_CHARS} characters; content, failing_code, error"
    f" and fix up to {_TEXT} each; query up to {_QUERY}; up to {MAX_TAGS} tags.",
    "enrich_memory": f"addition up to {_TEXT} characters; query up to {_QUERY};"
    f" up to {MAX_TAGS} tags.",
    "share_feedback": "comment up to 4,000 characters.",
    "record_trace": f"task, code, error, test_output and correction up to {_TEXT} characters"
    f" each; environment up to {MAX_ENVIRONMENT} packages; up to {MAX_K} served_ids, each"
    " one Spark served you in this session.",
}


def described(name: str, text: str) -> str:
    """A tool's description with its limits in words: some agents drop schema limits."""
    return f"{text}\nLimits: {LIMITS[name]} {_STRICT}"


def register(server: MCPServer, seat_for: SeatFor, metrics: ToolMetrics | None = None) -> None:
    """Add the seven tools to ``server``; each resolves its caller with ``seat_for``."""
    tools = SparkTools(seat_for, metrics)
    for name, description, hints in TOOLS:
        method = getattr(tools, name)
        server.add_tool(
            method, name=name, description=described(name, description), annotations=hints
        )


class SparkTools:
    """The tool bodies: resolve the caller, call its verbs, shape the result."""

    def __init__(self, seat_for: SeatFor, metrics: ToolMetrics | None) -> None:
        self.seat_for = seat_for
        self.metrics = metrics

    def recommend(
        self,
        task: Task,
        ctx: Context,
        code: Code = "",
        error: ErrorText = "",
        environment: Environment | None = None,
        budget_tokens: Budget = DEFAULT_BUDGET_TOKENS,
    ) -> RecommendOut:
        seat = self.seat_for(ctx)
        request = RecommendBody.given(
            task=task,
            code=code,
            error=error,
            environment=environment or {},
            budget_tokens=budget_tokens,
        )
        rec = self._run("recommend", lambda: seat.api.recommend(request))
        empty = (
            "" if rec.citations else self._run("recommend", lambda: seat.api.stats().empty_note())
        )
        text, out = shaping.recommend_result(rec, empty)
        seat.note(out.cited_ids)
        return _result(text, out)

    def search(
        self,
        query: Query,
        ctx: Context,
        libraries: Names | None = None,
        k: K = 8,
        budget_tokens: Budget = 400,
    ) -> SearchOut:
        seat = self.seat_for(ctx)
        request = SearchBody.given(query=query, libraries=libraries or [], k=k)
        hits = self._run("search", lambda: seat.api.search(request))
        empty = "" if hits else self._run("search", lambda: seat.api.stats().empty_note())
        text, out = shaping.search_result(hits, budget_tokens, query, empty)
        seat.note([h.id for h in out.hits])
        return _result(text, out)

    def get_memory(self, ids: Ids, ctx: Context, budget_tokens: Budget = 1500) -> MemoryOut:
        seat = self.seat_for(ctx)
        found, missing = self._run("get_memory", lambda: _fetch(seat.api, ids))
        if not found:
            raise ToolError(f"NotFound: no snippet or insight you may see among {ids}")
        text, out = shaping.memory_result(found, missing, budget_tokens)
        seat.note([item.id for item in out.items])
        return _result(text, out)

    def create_memory(
        self,
        title: Title,
        content: Content,
        ctx: Context,
        query: Annotated[str, Field(max_length=MAX_QUERY_CHARS)] = "",
        tags: Names | None = None,
        kind: Kind = "practice",
        scope: MemoryScope = "org",
        failing_code: LongText = "",
        error: LongText = "",
        fix: LongText = "",
        idempotency_key: IdempotencyKey = "",
    ) -> WriteResultOut:
        seat = self.seat_for(ctx)
        request = MemoryBody.given(
            title=title,
            content=content,
            query=query,
            tags=tags or [],
            kind=InsightKind(kind),
            scope=scope,
            evidence=Evidence(failing_code=failing_code, error=error, fix=fix),
        )
        key = idempotency_key or None
        receipt = self._run(
            "create_memory", lambda: seat.api.create_memory(request, idempotency_key=key)
        )
        return _result(*shaping.write_result(receipt))

    def enrich_memory(
        self,
        id: Id,
        addition: Content,
        ctx: Context,
        tags: Names | None = None,
        query: Annotated[str, Field(max_length=MAX_QUERY_CHARS)] = "",
    ) -> WriteResultOut:
        seat = self.seat_for(ctx)
        request = EnrichBody.given(addition=addition, tags=tags or [], query=query)
        receipt = self._run("enrich_memory", lambda: seat.api.enrich_memory(id, request))
        return _result(*shaping.write_result(receipt))

    def share_feedback(
        self,
        target_id: Id,
        ctx: Context,
        verified: Verdict | None = None,
        relevant: bool | None = None,
        correct: bool | None = None,
        comment: Annotated[str, Field(max_length=4000)] = "",
    ) -> WriteResultOut:
        seat = self.seat_for(ctx)
        request = FeedbackBody.given(
            target_id=target_id,
            relevant=relevant,
            correct=correct,
            verified=verified,
            comment=comment,
        )
        receipt = self._run("share_feedback", lambda: seat.api.share_feedback(request))
        return _result(*shaping.write_result(receipt))

    def record_trace(
        self,
        task: Content,
        outcome: TraceOutcome,
        ctx: Context,
        code: LongText = "",
        error: LongText = "",
        test_output: LongText = "",
        correction: LongText = "",
        environment: Environment | None = None,
        served_ids: ServedIds | None = None,
        idempotency_key: IdempotencyKey = "",
    ) -> WriteResultOut:
        seat = self.seat_for(ctx)
        seat.check_served(served_ids or [])
        request = TraceBody.given(
            task=task,
            code=code,
            outcome=Outcome(outcome),
            test_output=test_output,
            error=error,
            correction=correction,
            environment=environment or {},
            served_ids=served_ids or seat.served(),
        )
        key = idempotency_key or None
        receipt = self._run(
            "record_trace", lambda: seat.api.record_trace(request, idempotency_key=key)
        )
        return _result(*shaping.write_result(receipt))

    def _run(self, name: str, call: Callable[[], T]) -> T:
        """Call the verbs: time it, count it, and turn a SparkError into a tool error."""
        started = time.perf_counter()
        ok = False
        try:
            result = call()
            ok = True
            return result
        except SparkError as exc:
            # The agent reads this: the error's class says what to do (fix input, retry...).
            raise ToolError(f"{type(exc).__name__}: {exc.message}") from exc
        finally:
            if self.metrics is not None:
                self.metrics.tool_call(name, ok, time.perf_counter() - started)


def tool_arguments() -> dict[str, frozenset[str]]:
    """Each tool's argument names, as its schema lists them (the caller's context aside)."""
    names = {}
    for name, _, _ in TOOLS:
        parameters = inspect.signature(getattr(SparkTools, name)).parameters
        names[name] = frozenset(p for p in parameters if p not in ("self", "ctx"))
    return names


TOOLS = (
    ("recommend", RECOMMEND, READ),
    ("search", SEARCH, READ),
    ("get_memory", GET_MEMORY, READ),
    ("create_memory", CREATE_MEMORY, WRITE),
    ("enrich_memory", ENRICH_MEMORY, WRITE),
    ("share_feedback", SHARE_FEEDBACK, WRITE),
    ("record_trace", RECORD_TRACE, WRITE),
)


def _fetch(api: AgentApi, ids: list[str]) -> tuple[list[Snippet | Insight], list[str]]:
    found: list[Snippet | Insight] = []
    missing: list[str] = []
    for record_id in dict.fromkeys(ids):
        try:
            if record_id.startswith("snp_"):
                found.append(api.kb_show(record_id))
            else:
                found.append(api.get_memory(record_id))
        except NotFound:
            missing.append(record_id)  # absent and invisible look the same, on purpose
    return found, missing


def _result(text: str, out: BaseModel) -> CallToolResult:
    return CallToolResult(
        content=[TextContent(type="text", text=text)],
        structured_content=out.model_dump(mode="json"),
    )
