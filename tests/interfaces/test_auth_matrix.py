"""Authorisation matrix: {no key, malformed key, revoked key, reader key, other org's key}
by every route and every MCP tool gives the right status and leaks nothing.

Org acme owns an insight (found by MARKER, holding SECRET) and a trace; globex's key is an *admin* key,
so whatever it cannot reach it cannot reach for lack of tenancy, not of role.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from mcp import Client
from spark_memory.errors import NotFound
from tests.interfaces.server import Server
from tests.mcp.agent import over_http, text

MARKER = "zanzibar-" + uuid.uuid4().hex[:10]  # what the callers search for
SECRET = "acme-only-" + uuid.uuid4().hex[:10]  # what only acme may ever read back
CREDENTIALS = ["none", "malformed", "revoked", "reader", "other"]


@dataclass(frozen=True)
class World:
    insight: str
    trace: str
    key: str  # an acme key id


@pytest.fixture(scope="module")
def world(server: Server) -> World:
    with server.client("writer") as bot:
        insight = bot.create_memory(
            f"Acme private lesson {MARKER}",
            f"Only acme may read this: {MARKER} {SECRET}",
            query=MARKER,
            tags=["pandas"],
        )
        trace = bot.record_trace(f"acme task {SECRET}", outcome="failed", error=SECRET)
    with server.client("admin") as lead:
        key = lead.create_key("spare", "reader")
    return World(insight.id, trace.id, key.id)


@dataclass(frozen=True)
class Route:
    name: str
    method: str
    path: str
    body: dict[str, Any] | None
    kind: str  # read | write | admin
    targets_acme: bool = False  # names one of acme's ids: another org gets 404


def routes(w: World) -> list[Route]:
    run = {"command": "pytest", "exit_code": 0, "outcome": "passed", "duration_s": 1.0}
    return [
        Route("search", "POST", "/v1/search", {"query": MARKER}, "read"),
        Route("recommend", "POST", "/v1/recommend", {"task": f"{MARKER} pandas"}, "read"),
        Route("get_memory", "GET", f"/v1/memories/{w.insight}", None, "read", True),
        Route("create_memory", "POST", "/v1/memories", {"title": "t", "content": "c"}, "write"),
        Route(
            "enrich_memory",
            "POST",
            f"/v1/memories/{w.insight}/enrich",
            {"addition": "more"},
            "write",
            True,
        ),
        Route(
            "feedback",
            "POST",
            "/v1/feedback",
            {"target_id": w.insight, "relevant": True},
            "write",
            True,
        ),
        Route("traces", "POST", "/v1/traces", {"task": "t", "outcome": "passed"}, "write"),
        Route("runs", "POST", "/v1/runs", run, "write"),
        Route("kb_libraries", "GET", "/v1/kb/libraries", None, "read"),
        Route("kb_stats", "GET", "/v1/kb/stats", None, "read"),
        Route("kb_build", "GET", "/v1/kb/build", None, "read"),
        Route("audit", "GET", "/v1/audit", None, "read"),
        Route("curate", "POST", "/v1/curate", None, "admin"),
        Route("epochs", "GET", "/v1/epochs", None, "admin"),
        Route("revert", "POST", f"/v1/revert/{w.insight}", None, "write", True),
        Route("erase", "POST", "/v1/erase", {"agent_id": "acme/bot"}, "admin", True),
        Route("keys_create", "POST", "/v1/keys", {"agent": "newbie"}, "admin"),
        Route("keys_revoke", "DELETE", f"/v1/keys/{w.key}", None, "admin", True),
    ]


def kb_snippet_route(server: Server) -> Route:
    with server.client("reader") as spark:
        snippet = spark.search("unique elements", k=1)[0].id
    return Route("kb_snippet", "GET", f"/v1/kb/snippets/{snippet}", None, "read")


def expected(credential: str, route: Route) -> int:
    if credential in ("none", "malformed", "revoked"):
        return 401
    if credential == "reader":
        return 200 if route.kind == "read" else 403
    # another org's admin: its own org's business is fine; acme's ids do not exist for it
    return 404 if route.targets_acme else (204 if route.name == "keys_revoke" else 200)


def headers(server: Server, credential: str) -> dict[str, str]:
    if credential == "none":
        return {}
    if credential == "malformed":
        return {"Authorization": "Bearer not-a-spark-key"}
    return server.headers(credential)


def test_every_route_for_every_credential(server: Server, world: World) -> None:
    table = [*routes(world), kb_snippet_route(server)]
    failures = []
    for credential in CREDENTIALS:
        for route in table:
            response = httpx.request(
                route.method,
                server.url + route.path,
                json=route.body,
                headers=headers(server, credential),
            )
            want = expected(credential, route)
            if response.status_code != want:
                failures.append(f"{credential} {route.name}: {response.status_code} != {want}")
            failures += leaks(credential, route, response)
    assert failures == [], "\n".join(failures)
    assert len(table) * len(CREDENTIALS) >= 90


def leaks(credential: str, route: Route, response: httpx.Response) -> list[str]:
    where = f"{credential} {route.name}"
    if credential == "reader":
        return []  # acme's own reader may see acme's data
    if leaked(response.text):
        return [f"{where}: acme data in the response"]
    if response.status_code >= 400 and set(response.json()) != {"error", "message"}:
        return [f"{where}: an error response carries more than the error"]
    if response.status_code == 401 and response.headers.get("www-authenticate") is None:
        return [f"{where}: 401 without WWW-Authenticate"]
    return []


def leaked(text: str) -> bool:
    return SECRET in text or "Acme private lesson" in text or "acme task" in text


def test_acme_data_survives_the_other_orgs_attempts(server: Server, world: World) -> None:
    # Runs after the matrix (file order); the controls show the probes could have hit.
    with server.client("reader") as viewer:
        found = [h.id for h in viewer.search(MARKER)]
    assert world.insight in found
    with server.client("writer") as bot:
        insight = bot.get_memory(world.insight)
    assert SECRET in insight.content
    assert "more" not in insight.content  # nobody else enriched it
    with server.client("other") as boss, pytest.raises(NotFound):
        boss.get_memory(world.insight)


# --- MCP ----------------------------------------------------------------------------------

TOOL_CALLS = [
    ("recommend", {"task": f"{MARKER} pandas"}, "read"),
    ("search", {"query": MARKER}, "read"),
    ("get_memory", {"ids": ["{insight}"]}, "read"),
    ("create_memory", {"title": "t", "content": "c"}, "write"),
    ("enrich_memory", {"id": "{insight}", "addition": "more"}, "write"),
    ("share_feedback", {"target_id": "{insight}", "relevant": True}, "write"),
    ("record_trace", {"task": "t", "outcome": "passed"}, "write"),
]


def tool_calls(w: World) -> list[tuple[str, dict[str, Any], str]]:
    def fill(value: Any) -> Any:
        if isinstance(value, str):
            return value.replace("{insight}", w.insight)
        if isinstance(value, list):
            return [fill(v) for v in value]
        return value

    return [(name, {k: fill(v) for k, v in args.items()}, kind) for name, args, kind in TOOL_CALLS]


@pytest.mark.parametrize("credential", ["none", "malformed", "revoked"])
def test_mcp_refuses_bad_keys_before_any_tool_runs(
    server: Server, world: World, credential: str
) -> None:
    for n, (name, arguments, _) in enumerate(tool_calls(world)):
        message = {
            "jsonrpc": "2.0",
            "id": n,
            "method": "tools/call",
            "params": {"name": name, "arguments": arguments},
        }
        response = httpx.post(
            f"{server.url}/mcp",
            json=message,
            headers={
                **headers(server, credential),
                "Accept": "application/json, text/event-stream",
            },
        )
        assert response.status_code == 401, (credential, name)
        assert response.json()["error"] == "Unauthorized"
        assert not leaked(response.text)


def test_mcp_tools_for_a_reader_and_for_another_org(server: Server, world: World) -> None:
    calls = tool_calls(world)

    async def play(client: Client) -> list[Any]:
        return [await client.call_tool(name, args) for name, args, _ in calls]

    as_reader = over_http(server.url, server.keys["reader"], play)
    as_other = over_http(server.url, server.keys["other"], play)
    for (name, _, kind), result in zip(calls, as_reader, strict=True):
        assert result.is_error == (kind == "write"), name
        if kind == "write":
            assert "Forbidden" in text(result), name
    for (name, _, _), result in zip(calls, as_other, strict=True):
        assert not leaked(text(result)), name
        if name in ("get_memory", "enrich_memory", "share_feedback"):
            assert result.is_error, name
            assert "NotFound" in text(result), name
        else:
            assert not result.is_error, (name, text(result))
