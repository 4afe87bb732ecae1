"""Spark's MCP server (``mcp.server.mcpserver.MCPServer``), for stdio and Streamable HTTP.

Over HTTP (``/mcp`` inside `spark serve`), each request was authenticated by the HTTP
gate, which left the key's principal in the request's state; the HTTP interface hands
this module a ``SeatFor`` that reads it (``http/mcp_seats.py``): MCP knows nothing of HTTP.
Over stdio (`spark mcp`), one agent on its own machine is the only caller: it acts as
the local user, or as the owner of ``$SPARK_API_KEY`` when one is set, or, with
``--server``, through the Python client against a remote `spark serve`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anyio
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import CallToolResult, InputRequiredResult

from spark_memory import __version__
from spark_memory.mcp.tools import Seat, SeatFor, ToolMetrics, register, tool_arguments
from spark_memory.models import Principal
from spark_memory.service import Spark
from spark_memory.service.sessions import Ledger, SessionLog
from spark_memory.service.verbs import BoundSpark

INSTRUCTIONS = """Spark is a shared memory of library documentation and of what other coding
agents learned. Call `recommend` before writing code that uses a library and again when
you hit an error; read cited sources with `get_memory`; after a fix, save the lesson
with `create_memory`; after tests ran, report with `record_trace` and vote with
`share_feedback` (or run tests via `spark run -- <command>`, which does both)."""


class SparkServer(MCPServer):
    """An ``MCPServer`` that refuses arguments a tool does not take.

    The SDK drops unknown arguments silently, so a misspelt ``libary=`` would search
    every library without a word; the HTTP API refuses unknown fields, and so does this.
    """

    arguments = tool_arguments()

    async def call_tool(
        self, name: str, arguments: dict[str, Any], context: Context[Any, Any] | None = None
    ) -> CallToolResult | InputRequiredResult:
        known = self.arguments.get(name)
        unknown = sorted(set(arguments) - known) if known is not None else []
        if unknown and known is not None:
            raise ToolError(
                f"InvalidInput: {name} has no argument {', '.join(unknown)[:200]};"
                f" it takes {', '.join(sorted(known))}"
            )
        return await super().call_tool(name, arguments, context)


def build_server(seat_for: SeatFor, metrics: ToolMetrics | None = None) -> MCPServer:
    server: MCPServer = SparkServer(
        "spark",
        title="Spark shared memory",
        instructions=INSTRUCTIONS,
        version=__version__,
        log_level="WARNING",
    )
    register(server, seat_for, metrics)
    return server


def fixed_seat(seat: Seat) -> SeatFor:
    """The one caller of a stdio server."""
    return lambda _ctx: seat


def local_seat(spark: Spark, principal: Principal, home: Path, session: str) -> Seat:
    """The agent on this machine, over the local store; its session ledger under ``home``."""
    log = SessionLog(Ledger(home / "sessions"), principal, session)
    return Seat(BoundSpark(spark, principal), log)


def run_stdio(server: MCPServer) -> None:
    anyio.run(server.run_stdio_async)
