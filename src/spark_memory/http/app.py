"""`create_app`: the one process `spark serve` runs — REST verbs, OpenAPI, MCP, metrics.

    /v1/...     the REST verbs, knowledge base and admin routes (API key)
    /mcp        MCP over Streamable HTTP, stateless (API key; any replica can answer)
    /metrics    Prometheus text          /healthz   liveness
    /docs, /openapi.json                 the OpenAPI document

Requests pass, outermost first: the request log, the MCP body limit (an MCP call over
the limit is a tool error), the body limit, then either the MCP gate or FastAPI (whose
``caller`` dependency authenticates). Errors become responses in
``install_error_handlers``: SparkErrors through ``errors.http_error``; anything else is
a bug, logged with its traceback and answered with a bare 500.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import Any

import anyio
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse
from mcp.server.mcpserver import MCPServer
from mcp.server.streamable_http_manager import StreamableHTTPASGIApp
from mcp.server.transport_security import TransportSecuritySettings
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Route

from spark_memory import __version__
from spark_memory.config import Settings
from spark_memory.console import console_app
from spark_memory.errors import InvalidInput, SparkError
from spark_memory.http.admin_routes import admin_router, kb_router
from spark_memory.http.auth import Gate, McpGate
from spark_memory.http.errors import ErrorBody, from_validation, http_error
from spark_memory.http.fair_share import share_cpu
from spark_memory.http.limits import BodyLimit, RateLimiter
from spark_memory.http.logs import LOGGER, RequestLog
from spark_memory.http.mcp_body import McpBodyLimit
from spark_memory.http.mcp_seats import http_seats
from spark_memory.http.metrics import CONTENT_TYPE, Metrics
from spark_memory.http.routes import agent_router
from spark_memory.http.schemas import Health
from spark_memory.mcp.server import build_server
from spark_memory.models import LOCAL_PRINCIPAL
from spark_memory.service import Job, JobState, Spark
from spark_memory.service.sessions import Ledger

_LOOPBACK = ("127.0.0.1", "localhost", "::1")
_STATUS_NAMES = {404: "NotFound", 405: "MethodNotAllowed"}


@dataclass(frozen=True)
class ServeOptions:
    mcp: bool = True
    curation_interval: float = 0.0  # seconds between background epochs; 0: none


def create_app(spark: Spark, options: ServeOptions | None = None) -> FastAPI:
    options = options or ServeOptions(curation_interval=spark.settings.curation_interval)
    settings = spark.settings
    metrics = Metrics()
    ledger = Ledger(settings.home / "sessions")
    shared = spark if spark.shares_rates else None  # replicas share one rate (the store's)
    limiter = RateLimiter(settings.rate_limit, settings.rate_burst, shared=shared)
    gate = Gate(spark, limiter, metrics)
    mcp_server = build_server(http_seats(spark, ledger), metrics) if options.mcp else None
    app = FastAPI(
        title="Spark",
        version=__version__,
        summary="Shared experiential memory for AI coding agents",
        lifespan=_lifespan(spark, mcp_server, options.curation_interval, metrics),
        # Generated clients read `search`, `recommend`, ... rather than `search_v1_search_post`.
        generate_unique_id_function=lambda route: route.name,
    )
    app.state.gate = gate
    install_error_handlers(app)
    app.include_router(agent_router(spark, ledger))
    app.include_router(kb_router(spark))
    app.include_router(admin_router(spark))
    _operations_routes(app, metrics, spark)
    app.mount("/ui", console_app(spark, metrics.render))  # the web console
    if mcp_server is not None:
        _mount_mcp(app, mcp_server, gate, settings)
    share_cpu(app, limiter, mcp_server)  # each request's CPU time is charged to its org
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes)
    if mcp_server is not None:  # outside the body limit: an MCP call over it is a tool error
        app.add_middleware(McpBodyLimit, limit=settings.max_body_bytes)
    app.add_middleware(RequestLog, metrics=metrics)
    return app


def install_error_handlers(app: FastAPI) -> None:
    async def spark_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, SparkError)
        return _error_response(exc)

    async def invalid_request(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        return _error_response(from_validation(exc.errors()))

    async def http_exception(_: Request, exc: Exception) -> JSONResponse:
        # Starlette's own refusals (no such route, wrong method, unreadable body) in
        # Spark's error shape; a body that cannot be decoded is invalid input like bad JSON.
        assert isinstance(exc, StarletteHTTPException)
        if exc.status_code == 400:
            return _error_response(InvalidInput(f"the request body cannot be read: {exc.detail}"))
        body = ErrorBody(error=_STATUS_NAMES.get(exc.status_code, "HTTPError"), message=exc.detail)
        return JSONResponse(body.model_dump(), status_code=exc.status_code, headers=exc.headers)

    async def bug(request: Request, exc: Exception) -> JSONResponse:
        # The one broad handler: whatever escaped is a bug. Log it whole; tell the
        # client nothing about internals.
        logging.getLogger(LOGGER).error(
            "unhandled error", exc_info=exc, extra={"path": request.url.path}
        )
        body = ErrorBody(error="InternalError", message="internal error; see the server log")
        return JSONResponse(body.model_dump(), status_code=500)

    app.add_exception_handler(SparkError, spark_error)
    app.add_exception_handler(RequestValidationError, invalid_request)
    app.add_exception_handler(StarletteHTTPException, http_exception)
    app.add_exception_handler(Exception, bug)


def _error_response(exc: SparkError) -> JSONResponse:
    status, body, headers = http_error(exc)
    return JSONResponse(body.model_dump(), status_code=status, headers=headers)


def _operations_routes(app: FastAPI, metrics: Metrics, spark: Spark) -> None:
    @app.get(
        "/healthz", response_model=Health, tags=["operations"], responses={503: {"model": Health}}
    )
    def healthz() -> Any:
        """Health: the process answers and its store takes writes (503 when it cannot)."""
        problem = spark.write_problem()
        if problem:
            body = Health(status="unavailable", version=__version__, detail=problem)
            return JSONResponse(body.model_dump(), status_code=503)
        return Health(version=__version__)

    @app.get(
        "/metrics",
        name="metrics",
        response_class=PlainTextResponse,
        tags=["operations"],
        responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}}},
    )
    def prometheus() -> PlainTextResponse:
        """Request counts and latencies, MCP tool calls, curation counters."""
        return PlainTextResponse(metrics.render(), media_type=CONTENT_TYPE)


def _mount_mcp(app: FastAPI, server: MCPServer, gate: Gate, settings: Settings) -> None:
    # Stateless: no session lives in this process, so any replica can answer any call.
    # JSON responses: every tool answers once; there is nothing to stream.
    server.streamable_http_app(
        stateless_http=True,
        json_response=True,
        host=settings.host,
        transport_security=_transport_security(settings.host),
    )
    endpoint = McpGate(StreamableHTTPASGIApp(server.session_manager), gate)
    app.router.routes.append(Route("/mcp", endpoint=endpoint, methods=["GET", "POST", "DELETE"]))


def _transport_security(host: str) -> TransportSecuritySettings | None:
    if host in _LOOPBACK:
        return None  # the SDK's DNS-rebinding protection for loopback hosts
    # Bound to a public address, Host headers name whatever the clients used; the API
    # key (which a rebinding page cannot know) is what protects the endpoint.
    return TransportSecuritySettings(enable_dns_rebinding_protection=False)


def _lifespan(
    spark: Spark, mcp_server: MCPServer | None, interval: float, metrics: Metrics
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            if mcp_server is not None:
                await stack.enter_async_context(mcp_server.session_manager.run())
            async with anyio.create_task_group() as tasks:
                if interval > 0:
                    tasks.start_soon(_curate_forever, spark, interval, metrics)
                yield
                tasks.cancel_scope.cancel()

    return lifespan


async def _curate_forever(spark: Spark, interval: float, metrics: Metrics) -> None:
    log = logging.getLogger(LOGGER)
    while True:
        await anyio.sleep(interval)
        started = time.perf_counter()
        try:
            job = await anyio.to_thread.run_sync(_one_epoch, spark)
        except SparkError as exc:
            # A failed epoch (store busy, LLM down) must not stop later ones.
            metrics.epoch_failed()
            log.warning("curation epoch failed", extra={"error": exc.message})
            continue
        if job.state is JobState.DONE:
            counts = job.result.get("counts", {})
            metrics.epoch(counts, time.perf_counter() - started)
            log.info("curation epoch", extra={"job": job.id, "counts": counts})
        elif job.state is JobState.FAILED:
            metrics.epoch_failed()


def _one_epoch(spark: Spark) -> Job:
    """Queue a curation epoch and work the queue until it is empty, as a worker would.

    Every epoch is a job, whoever runs it: with `spark worker` processes beside the
    server the store's leases decide who takes it, and an epoch already waiting is not
    queued twice; alone, the server runs it itself.
    """
    job = spark.enqueue_curation(principal=LOCAL_PRINCIPAL)  # the server's own schedule
    spark.run_worker(once=True)
    return spark.job(job.id)
