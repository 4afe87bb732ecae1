"""Structured logs: one JSON object per line on stderr, one line per request.

A request line carries its id, method, route template, status, latency, and the org
and agent its key belongs to; never the key, the body or the query string, which may
hold secrets. The same request id is returned in ``X-Request-Id``.
"""

from __future__ import annotations

import json
import logging
import sys
import time
import uuid
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from spark_memory.http.metrics import Metrics
from spark_memory.models import Principal

LOGGER = "spark.http"
_RESERVED = set(vars(logging.makeLogRecord({})))


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": round(record.created, 3),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": record.getMessage(),
        }
        # Extra fields, without uvicorn's terminal-colour copy of the message.
        extra = {k: v for k, v in vars(record).items() if k not in _RESERVED}
        out.update({k: v for k, v in extra.items() if not k.startswith("color_")})
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        return json.dumps(out, default=str)


def configure_logging(level: str = "info") -> None:
    """JSON lines on stderr for Spark's loggers (stdout stays free for `spark mcp`)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    for name in ("spark", "uvicorn.error"):
        logger = logging.getLogger(name)
        logger.handlers[:] = [handler]
        logger.setLevel(level.upper())
        logger.propagate = False


class RequestLog:
    """ASGI middleware: time each request, log it, count it in the metrics."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics
        self.log = logging.getLogger(LOGGER)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = uuid.uuid4().hex[:16]
        status = 500  # what the client sees if the app dies before answering
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode()))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            self._record(scope, request_id, status, time.perf_counter() - started)

    def _record(self, scope: Scope, request_id: str, status: int, seconds: float) -> None:
        route = getattr(scope.get("route"), "path", None) or _known_path(scope["path"])
        self.metrics.request(scope["method"], route, status, seconds)
        principal = scope.get("state", {}).get("principal")
        who = (
            {"org": principal.org_id, "agent": principal.agent_id}
            if isinstance(principal, Principal)
            else {}
        )
        self.log.info(
            "request",
            extra={
                "request_id": request_id,
                "method": scope["method"],
                "route": route,
                "status": status,
                "ms": round(seconds * 1000, 2),
                **who,
            },
        )


def _known_path(path: str) -> str:
    # Unmatched paths are not labels: a scanner would otherwise grow the metrics forever.
    return path if path in ("/mcp", "/metrics", "/healthz") else "unmatched"
