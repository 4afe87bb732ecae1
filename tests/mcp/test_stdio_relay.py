"""`spark --server URL mcp`: a stdio MCP server on the agent's machine that relays every
tool to a remote `spark serve` through the Python client (key from $SPARK_API_KEY)."""

from __future__ import annotations

import uuid
from typing import Any

from mcp import Client
from tests.interfaces.server import SPARK, Server
from tests.mcp.agent import data, over_stdio, text


def test_the_relay_acts_as_the_keys_agent_on_the_server(server: Server) -> None:
    title = f"Relayed lesson {uuid.uuid4().hex[:6]}"

    async def play(client: Client) -> dict[str, Any]:
        rec = await client.call_tool("recommend", {"task": "merge two frames on a key"})
        made = await client.call_tool("create_memory", {"title": title, "content": "Use on=."})
        trace = await client.call_tool("record_trace", {"task": title, "outcome": "passed"})
        missing = await client.call_tool("get_memory", {"ids": ["ins_nope"]})
        return {"rec": rec, "made": made, "trace": trace, "missing": missing}

    env = {
        "SPARK_API_KEY": server.keys["writer"],
        "SPARK_SESSION": f"relay-{uuid.uuid4().hex[:6]}",
        "SPARK_HOME": str(server.home / "relay-home"),  # nothing local is used
    }
    out = over_stdio(SPARK, env, play, args=["--server", server.url, "mcp"])
    made = data(out["made"])
    with server.client("reader") as spark:
        stored = spark.get_memory(made["id"])
    assert data(out["rec"])["cited_ids"]
    assert stored.title == title
    assert stored.agent_id == "acme/bot"
    assert data(out["trace"])["status"] == "created"
    assert out["missing"].is_error
    assert "NotFound" in text(out["missing"])
    assert not (server.home / "relay-home" / "spark.db").exists()
