"""What an org's requests take of this process: CPU time, charged to its rate, and
the interpreter, shared so that one org's large writes cannot hold it.

This server's Python threads share one interpreter lock, so while one org's write
screens a megabyte of text, another org's search waits for the lock every time it
has given it up to read. A request's size is only a guess at its cost, taken before
the work; the CPU time is what it cost. Three things, each measured with
benchmarks/bench_fairness.py (docs/benchmarks.md):

- ``FairShare`` (ASGI middleware) gives every request a ``Ticket`` in a context
  variable. The gate names the org on it; each route's and MCP tool's work runs
  ``metered``, adding its thread's CPU time to the ticket (worker threads run in a copy
  of the request's context, so they see the same ticket). When the response starts,
  the CPU time is charged to the org's bucket (``RateLimiter.charge``: in the store when
  replicas share it), which may go below zero: the org's next requests get 429 with
  the wait until it has refilled, while other orgs spend their own buckets. An org's
  sustained share of the CPU is bounded by its rate.
- An org has at most LARGE_PER_ORG large requests (64 KiB of body or more) running in
  this process; another gets 429: another org's search competes with one thread of
  it, not eight.
- The interpreter's switch interval is 0.5 ms instead of 5: a waiting thread gets the
  lock back ten times sooner from a thread running pure Python.
"""

from __future__ import annotations

import functools
import sys
import threading
import time
from collections.abc import Callable, Iterable
from contextvars import ContextVar
from dataclasses import dataclass
from inspect import iscoroutinefunction
from typing import ParamSpec, TypeVar

from fastapi import FastAPI
from fastapi.routing import APIRoute, APIRouter
from mcp.server.mcpserver import MCPServer
from starlette.concurrency import run_in_threadpool
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from spark_memory.errors import RateLimited
from spark_memory.http.limits import CPU_SECONDS, RateLimiter

LARGE = 9.0  # a request of this many units (64 KiB of body) or more is a large one
LARGE_PER_ORG = 1  # large requests one org may have running in one process at once
# How long a thread may hold the interpreter while another waits for it (Python's
# default is 5 ms). A search gives the lock up at every read and must win it back each
# time; behind a thread screening a large write it waited 5 ms each time.
SWITCH_SECONDS = 0.0005

P = ParamSpec("P")
T = TypeVar("T")


class InFlight:
    """How many large requests each org has running in this process, bounded per org."""

    def __init__(self, per_org: int) -> None:
        self.per_org = per_org
        self._running: dict[str, int] = {}
        self._lock = threading.Lock()

    def enter(self, org: str) -> None:
        with self._lock:
            running = self._running.get(org, 0)
            if running >= self.per_org:
                raise RateLimited(
                    f"your org already has {running} large request(s) running on this server"
                    f" (at most {self.per_org} at once); retry when it has answered",
                    retry_after=1.0,
                )
            self._running[org] = running + 1

    def leave(self, org: str) -> None:
        with self._lock:
            running = self._running.get(org, 0) - 1
            if running > 0:
                self._running[org] = running
            else:
                self._running.pop(org, None)


@dataclass
class Ticket:
    """One request's account: whose it is, the CPU time its work has taken so far, and
    whether it holds one of its org's places for large requests."""

    running: InFlight | None = None
    org: str = ""
    cpu: float = 0.0
    large: bool = False

    def done(self) -> None:
        if self.large and self.running is not None:
            self.large = False
            self.running.leave(self.org)


_TICKET: ContextVar[Ticket | None] = ContextVar("spark_request_ticket", default=None)


def share_cpu(app: FastAPI, limiter: RateLimiter, mcp: MCPServer | None) -> None:
    """Charge each request's CPU time to its org (call it once every route is added),
    and make a thread running Python hand the interpreter to a waiting one sooner."""
    sys.setswitchinterval(SWITCH_SECONDS)
    meter_routes(app.router.routes)
    if mcp is not None:
        meter_tools(mcp)
    app.add_middleware(FairShare, limiter=limiter)


def bill_to(org: str, cost: float = 1.0) -> None:
    """Name the org the current request's CPU time is charged to (the gate calls it);
    a large request (``cost`` of LARGE units or more) must find a free place among its
    org's, or is refused with RateLimited."""
    ticket = _TICKET.get()
    if ticket is None:
        return
    ticket.org = org
    if cost >= LARGE and ticket.running is not None and not ticket.large:
        ticket.running.enter(org)
        ticket.large = True


def metered(work: Callable[P, T]) -> Callable[P, T]:
    """``work``, adding the CPU time its thread spends in it to the request's ticket."""

    @functools.wraps(work)
    def run(*args: P.args, **kwargs: P.kwargs) -> T:
        started = time.thread_time()
        try:
            return work(*args, **kwargs)
        finally:
            ticket = _TICKET.get()
            if ticket is not None:
                ticket.cpu += time.thread_time() - started

    return run


def meter_routes(routes: Iterable[BaseRoute]) -> None:
    """Meter the work of every synchronous route (FastAPI runs those on worker threads),
    in included routers too. Call it before the app serves its first request: FastAPI
    builds an included route's handler from its endpoint on first use."""
    for route in routes:
        if isinstance(route, APIRoute):
            if not iscoroutinefunction(route.endpoint):
                route.endpoint = metered(route.endpoint)
                route.dependant.call = route.endpoint
            continue
        included = getattr(route, "original_router", None)  # FastAPI's include_router
        if isinstance(included, APIRouter):
            meter_routes(included.routes)


def meter_tools(server: MCPServer) -> None:
    """Meter the MCP tools as the routes are (the SDK runs synchronous tools on worker
    threads, in the context of the request that called them)."""
    for tool in server._tool_manager.list_tools():  # the SDK has no public hook for this
        if not tool.is_async:
            tool.fn = metered(tool.fn)


class FairShare:
    """ASGI middleware: a ticket per request; its CPU time charged to its org's rate."""

    def __init__(
        self, app: ASGIApp, limiter: RateLimiter, large_per_org: int = LARGE_PER_ORG
    ) -> None:
        self.app = app
        self.limiter = limiter
        self.running = InFlight(large_per_org)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.limiter.rate <= 0:
            await self.app(scope, receive, send)
            return
        ticket = Ticket(self.running)
        token = _TICKET.set(ticket)
        charged = False

        async def charge_then_send(message: Message) -> None:
            nonlocal charged
            # Before the response goes out: the org's next request sees the charge.
            if message["type"] == "http.response.start" and not charged:
                charged = True
                ticket.done()
                await self._charge(ticket)
            await send(message)

        try:
            await self.app(scope, receive, charge_then_send)
        finally:
            _TICKET.reset(token)
            if not charged:
                ticket.done()
                await self._charge(ticket)

    async def _charge(self, ticket: Ticket) -> None:
        if not ticket.org or ticket.cpu <= 0:
            return
        units = ticket.cpu / CPU_SECONDS
        if self.limiter.shared:  # a write to the store: off the event loop
            await run_in_threadpool(self.limiter.charge, ticket.org, units)
        else:
            self.limiter.charge(ticket.org, units)
