"""Who is calling: ``Authorization: Bearer spk_...`` -> Principal, then the org's rate.

The org and agent of a request come from its key and nothing else: no header or body
field can name them. A missing, malformed, unknown or revoked key is 401. The MCP
endpoint is guarded by the same gate, as ASGI middleware, so an unauthenticated MCP
client is refused before a session exists.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated

from fastapi import Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from spark_memory.errors import RateLimited, SparkError, Unauthorized
from spark_memory.http.fair_share import bill_to
from spark_memory.http.limits import RateLimiter, request_cost, send_error
from spark_memory.http.metrics import Metrics
from spark_memory.models import Principal
from spark_memory.service import Spark
from spark_memory.service.sessions import SESSION_HEADER, session_name

PRINCIPAL = "principal"  # the key in the ASGI scope's state
# Shown in the OpenAPI document; parsing is ours (HTTPBearer's own errors are not 401s).
bearer = HTTPBearer(auto_error=False, description="an API key: `spark keys create`")


def key_from(headers: Mapping[str, str]) -> str:
    value = headers.get("authorization")
    if not value:
        raise Unauthorized("missing API key: send Authorization: Bearer spk_...")
    scheme, _, token = value.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("malformed Authorization header: expected Bearer spk_...")
    return token.strip()


class Gate:
    """Authenticates a request's key and spends one unit of its org's rate."""

    def __init__(self, spark: Spark, limiter: RateLimiter, metrics: Metrics) -> None:
        self.spark = spark
        self.limiter = limiter
        self.metrics = metrics

    def principal(self, headers: Mapping[str, str]) -> Principal:
        principal = self.spark.authenticate(key_from(headers))
        cost = request_cost(headers)
        try:
            bill_to(principal.org_id, cost)  # its CPU time is charged to its org's rate
            self.limiter.check(principal.org_id, cost)
        except RateLimited:
            self.metrics.rate_limited()
            raise
        return principal


def caller(
    request: Request, _: Annotated[HTTPAuthorizationCredentials | None, Security(bearer)]
) -> Principal:
    """FastAPI dependency: the request's principal (401 / 429 raised as SparkErrors)."""
    gate: Gate = request.app.state.gate
    principal = gate.principal(request.headers)
    request.state.principal = principal  # for the request log
    return principal


def session_of(request: Request) -> str:
    return session_name(request.headers.get(SESSION_HEADER))


class McpGate:
    """ASGI middleware in front of the MCP endpoint: the same keys, rates and errors."""

    def __init__(self, app: ASGIApp, gate: Gate) -> None:
        self.app = app
        self.gate = gate

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        try:
            session_name(headers.get(SESSION_HEADER))
            # A key lookup reads the store: off the event loop, like the REST routes.
            principal = await run_in_threadpool(self.gate.principal, headers)
        except SparkError as exc:
            await send_error(send, exc)
            return
        scope.setdefault("state", {})[PRINCIPAL] = principal
        await self.app(scope, receive, send)
