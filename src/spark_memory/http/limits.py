"""What keeps one caller from hurting the others: a body size limit and per-org rates.

The body limit is enforced before anything parses the request (413), and covers MCP
at ``/mcp`` as well as the REST routes. The rate limit is a token bucket per org,
checked after authentication because the org comes from the key: many agents of one
org share their org's rate, so no org can crowd out another.

A request costs by its size before it runs, 1 unit plus 1 per 8 KiB of body, and by
the CPU time its work took once it has (``fair_share``: 1 unit per 2 ms, charged with
``charge``, which may take the bucket below zero). A search costs about 1.5 units; a
maximum-size trace about 90, most of it measured. With PostgreSQL as the store the
buckets live in it (``Store.spend_rate``, ``Store.charge_rate``), so N replicas share
one rate instead of multiplying it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from typing import Protocol

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from spark_memory.errors import PayloadTooLarge, RateLimited, SparkError
from spark_memory.http.errors import http_error

COST_BYTES = 8_192  # one more unit of rate per this many bytes of request body
CPU_SECONDS = 0.002  # one more unit per this much CPU time the request's work took


def request_cost(headers: Mapping[str, str]) -> float:
    """What a request spends of its org's rate: 1 unit, plus 1 per COST_BYTES of body."""
    try:
        size = max(0, int(headers.get("content-length") or 0))
    except ValueError:
        size = 0
    return 1.0 + size / COST_BYTES


class SharedRates(Protocol):
    """Buckets kept where every replica sees them (the PostgreSQL store)."""

    def spend_rate(self, org_id: str, cost: float, rate: float, burst: float) -> float: ...

    def charge_rate(self, org_id: str, cost: float, rate: float, burst: float) -> None: ...


class RateLimiter:
    """Token bucket per org: ``rate`` units per second, up to ``burst`` at once; in this
    process, or in ``shared`` (the store) so that replicas share one rate."""

    def __init__(
        self,
        rate: float,
        burst: int,
        clock: Callable[[], float] = time.monotonic,
        shared: SharedRates | None = None,
    ) -> None:
        self.rate = rate
        self.burst = max(1, burst)
        self._clock = clock
        self._shared = shared
        self._buckets: dict[str, tuple[float, float]] = {}  # org -> (tokens, at)
        self._lock = threading.Lock()

    def check(self, org: str, cost: float = 1.0) -> None:
        """Spend ``cost`` units of ``org``'s bucket, or raise RateLimited with the wait."""
        if self.rate <= 0:
            return
        cost = min(cost, float(self.burst))  # the largest request still fits a full bucket
        if self._shared is not None:
            wait = self._shared.spend_rate(org, cost, self.rate, float(self.burst))
        else:
            wait = self._spend(org, cost)
        if wait > 0:
            raise RateLimited(
                f"your org is over its rate of {self.rate:g} units per second (a request"
                f" costs 1 unit, plus 1 per {COST_BYTES // 1024} KiB of body, plus 1 per"
                f" {CPU_SECONDS * 1000:g} ms of CPU time its work took)",
                retry_after=wait,
            )

    @property
    def shared(self) -> bool:
        """True when the buckets live in the store (charging them writes to it)."""
        return self._shared is not None

    def charge(self, org: str, cost: float) -> None:
        """Take ``cost`` units for work already done (a request's CPU time): the bucket
        may go below zero, and the org's next requests wait until it has refilled."""
        if self.rate <= 0 or cost <= 0:
            return
        if self._shared is not None:
            self._shared.charge_rate(org, cost, self.rate, float(self.burst))
            return
        with self._lock:
            now = self._clock()
            tokens, at = self._buckets.get(org, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - at) * self.rate)
            self._buckets[org] = (tokens - cost, now)

    def _spend(self, org: str, cost: float) -> float:
        with self._lock:
            now = self._clock()
            tokens, at = self._buckets.get(org, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - at) * self.rate)
            if tokens < cost:
                self._buckets[org] = (tokens, now)
                return (cost - tokens) / self.rate
            self._buckets[org] = (tokens - cost, now)
            return 0.0


class BodyLimit:
    """ASGI middleware: refuse a request body over ``limit`` bytes with 413."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.limit:
            await send_error(send, self._too_large())
            return
        body = await self._read(receive)
        if body is None:
            await send_error(send, self._too_large())
            return
        await self.app(scope, _replay(body, receive), send)

    def _too_large(self) -> PayloadTooLarge:
        return PayloadTooLarge(f"the request body is over the limit of {self.limit} bytes")

    async def _read(self, receive: Receive) -> bytes | None:
        """The whole body, or None as soon as it passes the limit (chunked requests)."""
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return b"".join(chunks)  # the client went away; the app will see that
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.limit:
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()  # later calls wait for the disconnect, as the server's would

    return replay


async def send_error(send: Send, exc: SparkError) -> None:
    """A JSON error response from plain ASGI code (middleware that runs before FastAPI)."""
    status, body, headers = http_error(exc)
    payload = body.model_dump_json().encode()
    raw_headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(payload)).encode()),
        *((k.lower().encode(), v.encode()) for k, v in headers.items()),
    ]
    await send({"type": "http.response.start", "status": status, "headers": raw_headers})
    await send({"type": "http.response.body", "body": payload})
