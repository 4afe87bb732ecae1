"""Who calls an MCP tool over HTTP: the principal the gate authenticated for the request.

The MCP interface does not know HTTP; it asks a ``SeatFor`` for each call's caller.
This one reads the principal ``McpGate`` left in the request's ASGI state, and the
agent session from the ``X-Spark-Session`` header (already checked by the gate).
"""

from __future__ import annotations

from mcp.server.mcpserver import Context

from spark_memory.errors import Unauthorized
from spark_memory.http.auth import PRINCIPAL
from spark_memory.mcp.tools import Seat, SeatFor
from spark_memory.models import Principal
from spark_memory.service import Spark
from spark_memory.service.sessions import SESSION_HEADER, Ledger, SessionLog, session_name
from spark_memory.service.verbs import BoundSpark

SHOWN_AS = "this server"  # a remote caller is not shown the server's file paths


def http_seats(spark: Spark, ledger: Ledger) -> SeatFor:
    """Seats for MCP over HTTP: the principal the gate authenticated for this request."""

    def seat_for(ctx: Context) -> Seat:
        request = ctx.request_context.request
        principal = None if request is None else request.scope.get("state", {}).get(PRINCIPAL)
        if request is None or not isinstance(principal, Principal):
            raise Unauthorized("this MCP request carries no authenticated key")
        header = request.headers.get(SESSION_HEADER)  # checked by the gate
        log = SessionLog(ledger, principal, session_name(header)) if header else None
        return Seat(BoundSpark(spark, principal, shown_as=SHOWN_AS), log)

    return seat_for
