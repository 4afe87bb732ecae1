"""Spark's MCP server (``mcp.server.mcpserver.MCPServer``), for stdio and Streamable HTTP.

Over HTTP (``/mcp`` inside `spark serve`), each request was authenticated by the HTTP
gate, which left the key's principal in the request's state; tools read it from there.
Over stdio (`spark mcp`), one agent on its own machine is the only caller: it acts as
the local user, or as the owner of ``$SPARK_API_KEY`` when one is set, or, with
``--server``, through the Python client against a remote `spark serve`.
"""

from __future__ import annotations

from pathlib import Path

import anyio
from mcp.server.mcpserver import Context, MCPServer

from spark_memory import __version__
from spark_memory.errors import Unauthorized
from spark_memory.http.auth import PRINCIPAL
from spark_memory.http.metrics import Metrics
from spark_memory.http.sessions import SESSION_HEADER, Ledger, SessionLog, session_name
from spark_memory.http.verbs import BoundSpark
from spark_memory.mcp.tools import Seat, SeatFor, register
from spark_memory.models import Principal
from spark_memory.service import Spark

INSTRUCTIONS = """Spark is a shared memory of library documentation and of what other coding
agents learned. Call `recommend` before writing code that uses a library and again when
you hit an error; read cited sources with `get_memory`; after a fix, save the lesson
with `create_memory`; after tests ran, report with `record_trace` and vote with
`share_feedback` (or run tests via `spark run -- <command>`, which does both)."""


def build_server(seat_for: SeatFor, metrics: Metrics | None = None) -> MCPServer:
    server: MCPServer = MCPServer(
        "spark",
        title="Spark shared memory",
        instructions=INSTRUCTIONS,
        version=__version__,
        log_level="WARNING",
    )
    register(server, seat_for, metrics)
    return server


def http_seats(spark: Spark, ledger: Ledger) -> SeatFor:
    """Seats for MCP over HTTP: the principal the gate authenticated for this request."""

    def seat_for(ctx: Context) -> Seat:
        request = ctx.request_context.request
        principal = None if request is None else request.scope.get("state", {}).get(PRINCIPAL)
        if request is None or not isinstance(principal, Principal):
            raise Unauthorized("this MCP request carries no authenticated key")
        header = request.headers.get(SESSION_HEADER)  # checked by the gate
        log = SessionLog(ledger, principal, session_name(header)) if header else None
        return Seat(BoundSpark(spark, principal), log)

    return seat_for


def fixed_seat(seat: Seat) -> SeatFor:
    """The one caller of a stdio server."""
    return lambda _ctx: seat


def local_seat(spark: Spark, principal: Principal, home: Path, session: str) -> Seat:
    """The agent on this machine, over the local store; its session ledger under ``home``."""
    log = SessionLog(Ledger(home / "sessions"), principal, session)
    return Seat(BoundSpark(spark, principal), log)


def run_stdio(server: MCPServer) -> None:
    anyio.run(server.run_stdio_async)
