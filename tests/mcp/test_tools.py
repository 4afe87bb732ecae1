"""Every MCP tool round-trips, errors included, through the SDK's client: Streamable HTTP
against `spark serve`, and stdio against a `spark mcp` subprocess (no keys)."""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from mcp.types import CallToolResult

from mcp import Client
from spark_memory.config import Settings
from spark_memory.models import LOCAL_PRINCIPAL, Principal, Role
from spark_memory.store.sqlite import SqliteStore
from tests.interfaces.server import SPARK, Server, seed
from tests.mcp.agent import data, over_http, over_stdio, text

TOOLS = {
    "recommend",
    "search",
    "get_memory",
    "create_memory",
    "enrich_memory",
    "share_feedback",
    "record_trace",
}


@pytest.fixture(scope="module")
def stdio_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("stdio")
    seed(home)
    return home


BAD_CALLS = [
    ("get_memory", {"ids": ["ins_nope", "snp_nope"]}, "NotFound"),
    ("search", {"query": ""}, "at least 1 character"),
    ("search", {"query": "x", "libraries": ["cobol"]}, "UnknownFilter"),
    ("recommend", {"task": "t", "budget_tokens": 5}, "greater than or equal to 150"),
    ("create_memory", {"title": "t", "content": "x" * 64_001}, "at most 64000"),
    ("enrich_memory", {"id": "ins_nope", "addition": "more"}, "NotFound"),
    ("share_feedback", {"target_id": "snp_nope", "relevant": True}, "NotFound"),
    ("record_trace", {"task": "t", "outcome": "sideways"}, "outcome"),
    ("get_memory", {"ids": []}, "at least 1 item"),
    ("search", {"query": "argsort", "libary": ["numpy"]}, "search has no argument libary"),
    (
        "record_trace",
        {"task": "t", "outcome": "passed", "served_ids": ["snp_never_served"]},
        "did not serve in this session: snp_never_served",
    ),
]


@dataclass
class Session:
    """One agent session's calls and what came back (a subprocess per session is slow)."""

    transport: str
    home: Path
    principal: Principal
    title: str = field(default_factory=lambda: f"Broadcast sums {uuid.uuid4().hex[:6]}")
    tools: dict[str, Any] = field(default_factory=dict)
    results: dict[str, CallToolResult] = field(default_factory=dict)
    bad: list[CallToolResult] = field(default_factory=list)
    named: CallToolResult | None = None  # a trace naming an id the session was served

    async def play(self, client: Client) -> Session:
        self.tools = {t.name: t for t in (await client.list_tools()).tools}
        await self._round_trip(client)
        for tool, arguments, _ in BAD_CALLS:
            self.bad.append(await client.call_tool(tool, arguments))
        return self

    async def _round_trip(self, client: Client) -> None:
        out = self.results
        out["recommend"] = await client.call_tool(
            "recommend", {"task": "count unique values of a pandas Series"}
        )
        out["search"] = await client.call_tool("search", {"query": "sort indices of an array"})
        snippet_id = data(out["search"])["hits"][0]["id"]
        out["create_memory"] = await client.call_tool(
            "create_memory",
            {
                "title": self.title,
                "content": "Use df.groupby('a')['b'].transform('sum') to keep the shape.",
                "tags": ["pandas"],
                "fix": "df['s'] = df.groupby('a')['b'].transform('sum')",
            },
        )
        insight_id = data(out["create_memory"])["id"]
        out["get_memory"] = await client.call_tool(
            "get_memory", {"ids": [snippet_id, insight_id, "ins_missing"]}
        )
        out["enrich_memory"] = await client.call_tool(
            "enrich_memory", {"id": insight_id, "addition": "Also works with 'mean'."}
        )
        out["share_feedback"] = await client.call_tool(
            "share_feedback", {"target_id": snippet_id, "relevant": True}
        )
        out["record_trace"] = await client.call_tool(
            "record_trace", {"task": f"{self.title}: tests", "outcome": "passed"}
        )
        cited = data(out["recommend"])["cited_ids"][:1]
        self.named = await client.call_tool(
            "record_trace",
            {"task": f"{self.title}: named", "outcome": "passed", "served_ids": cited},
        )


@pytest.fixture(scope="module", params=["http", "stdio"])
def played(request: pytest.FixtureRequest, stdio_home: Path) -> Session:
    name = f"s-{uuid.uuid4().hex[:8]}"
    if request.param == "http":
        server: Server = request.getfixturevalue("server")
        writer = Principal(org_id="acme", agent_id="acme/bot", role=Role.WRITER)
        session = Session("http", server.home, writer)
        return over_http(server.url, server.keys["writer"], session.play, name)
    env = {"SPARK_HOME": str(stdio_home), "SPARK_EMBEDDER": "hash", "SPARK_SESSION": name}
    session = Session("stdio", stdio_home, LOCAL_PRINCIPAL)
    return over_stdio(SPARK, env, session.play)


def test_tools_say_when_to_call_them_and_bound_their_inputs(played: Session) -> None:
    tools = played.tools
    assert set(tools) == TOOLS
    assert "BEFORE writing code" in (tools["recommend"].description or "")
    assert "AFTER tests ran" in (tools["record_trace"].description or "")
    assert "spark run" in (tools["record_trace"].description or "")
    props = tools["recommend"].input_schema["properties"]
    assert props["task"]["maxLength"] == 8000
    assert props["code"]["maxLength"] == 64000
    assert tools["get_memory"].input_schema["properties"]["ids"]["maxItems"] == 10
    assert tools["search"].input_schema["properties"]["k"]["maximum"] == 50
    assert tools["search"].annotations is not None
    assert tools["search"].annotations.read_only_hint
    # Codex drops schema limits: each description states them in words too.
    for tool in tools.values():
        assert "Limits:" in (tool.description or ""), tool.name
        assert "Arguments not listed are refused." in (tool.description or "")
    assert "code and error up to 64,000 each" in (tools["recommend"].description or "")


def test_every_tool_round_trips(played: Session) -> None:
    out = played.results
    assert set(out) == TOOLS
    rec = data(out["recommend"])
    assert rec["cited_ids"]
    assert "Sources:" in text(out["recommend"])
    hits = data(out["search"])["hits"]
    assert hits[0]["title"] == "numpy.argsort"
    assert "get_memory" in text(out["search"])
    memory = data(out["get_memory"])
    assert [i["type"] for i in memory["items"]] == ["snippet", "insight"]
    assert "transform('sum')" in memory["items"][1]["text"]
    assert memory["missing"] == ["ins_missing"]
    assert data(out["create_memory"])["status"] == "created"
    assert data(out["enrich_memory"])["status"] == "updated"
    assert data(out["share_feedback"])["status"] == "created"


def test_a_trace_names_what_its_session_was_served(played: Session) -> None:
    cited = data(played.results["recommend"])["cited_ids"]
    trace_id = data(played.results["record_trace"])["id"]
    store = SqliteStore(Settings.load(environ={}, home=played.home).db_path)
    try:
        trace = store.get_trace(trace_id, played.principal)
    finally:
        store.close()
    # The agent did not list them: the session ledger did.
    assert set(cited) <= set(trace.served_ids)


@pytest.mark.parametrize("n", range(len(BAD_CALLS)), ids=[f"{t}-{r}" for t, _, r in BAD_CALLS])
def test_bad_calls_are_tool_errors_with_a_reason(played: Session, n: int) -> None:
    result = played.bad[n]
    assert result.is_error
    assert BAD_CALLS[n][2] in text(result)


def what_an_agent_forwards(result: CallToolResult) -> str:
    """Claude Code and Codex give the model the structured part *instead of* the text
    when a result has both: this is all the model would read."""
    if result.structured_content is None:
        return text(result)
    return json.dumps(result.structured_content, ensure_ascii=False)


def test_recommends_structured_part_alone_carries_the_advice(played: Session) -> None:
    result = played.results["recommend"]
    seen = what_an_agent_forwards(result)
    guidance = re.sub(r" (\[\d+\])+$", "", text(result).split("\n\n")[0])
    assert len(guidance) > 20
    assert guidance in seen
    assert "pandas.Series.value_counts" in text(result)
    assert "pandas.Series.value_counts" in seen
    sources = data(result)["sources"]
    assert sources
    assert all(s["id"] and s["title"] and s["reason"] for s in sources)
    assert [s["id"] for s in sources] == data(result)["cited_ids"]


def test_searchs_structured_part_alone_carries_each_hits_summary(played: Session) -> None:
    seen = what_an_agent_forwards(played.results["search"])
    assert "numpy.argsort" in seen
    assert "Returns the indices that would sort an array." in seen
    assert "get_memory" in seen


def test_get_memorys_structured_part_alone_carries_the_full_text(played: Session) -> None:
    seen = what_an_agent_forwards(played.results["get_memory"])
    assert "transform('sum') to keep the shape" in seen
    assert "ins_missing" in seen


def test_an_mcp_call_over_the_body_limit_is_a_tool_error_naming_the_limit(server: Server) -> None:
    async def oversized(client: Client) -> CallToolResult:
        huge = {"title": "t", "content": "x" * 1_100_000}  # over 1 MiB, the server's limit
        return await client.call_tool("create_memory", huge)

    result = over_http(server.url, server.keys["writer"], oversized)
    assert result.is_error
    assert "PayloadTooLarge: this create_memory call is" in text(result)
    assert "over this server's limit of 1,048,576 bytes" in text(result)
    assert "SPARK_MAX_BODY_BYTES" in text(result)


def test_a_trace_may_name_ids_its_session_was_served(played: Session) -> None:
    assert played.named is not None
    assert data(played.named)["status"] == "created"


def test_an_empty_knowledge_base_is_named_with_where_it_is_and_what_fills_it(
    tmp_path: Path,
) -> None:
    async def ask(client: Client) -> tuple[CallToolResult, CallToolResult]:
        found = await client.call_tool("search", {"query": "sort indices of an array"})
        advice = await client.call_tool("recommend", {"task": "sort an array"})
        return found, advice

    env = {"SPARK_HOME": str(tmp_path), "SPARK_EMBEDDER": "hash", "SPARK_SESSION": "empty"}
    found, advice = over_stdio(SPARK, env, ask)
    for result in (found, advice):
        seen = what_an_agent_forwards(result)
        assert "knowledge base at" in seen
        assert str(tmp_path / "spark.db") in seen
        assert "is empty" in seen
        assert "spark kb ingest" in seen
    assert data(found)["hits"] == []
    assert "spark kb ingest" in text(found)


def test_over_http_an_empty_result_does_not_show_the_servers_paths(server: Server) -> None:
    async def ask(client: Client) -> CallToolResult:
        return await client.call_tool("search", {"query": "zzzqqq", "libraries": ["numpy"]})

    result = over_http(server.url, server.keys["reader"], ask)
    assert data(result)["hits"] == []
    assert str(server.home) not in text(result)
