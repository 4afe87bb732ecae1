"""`spark serve` (HTTP API + MCP over Streamable HTTP) and `spark mcp` (MCP over stdio).

On its very first run (an empty store) `spark serve` answers at once while the default
knowledge base builds in a background thread (``service/kb_build.py``). `spark mcp` is
for one agent on its own machine and needs no keys: it acts as the local user (or as the owner of
``$SPARK_API_KEY``), or relays to a remote server with ``spark --server URL mcp``.
"""

from __future__ import annotations

import os
import signal
import threading
from pathlib import Path
from types import FrameType

import click

from spark_memory.cli.context import API_KEY_ENV, CliContext, pass_ctx
from spark_memory.http.address import published
from spark_memory.models import LOCAL_PRINCIPAL, Principal
from spark_memory.service import Spark
from spark_memory.service.kb_build import KbBuild, needs_build
from spark_memory.service.knowledge import DEFAULT_LIBRARIES


@click.command("serve")
@click.option("--host", default=None, help="Address to listen on (default $SPARK_HOST).")
@click.option("--port", type=int, default=None, help="Port (default $SPARK_PORT or 8765).")
@click.option("--no-kb", is_flag=True, help="Do not build the knowledge base on a first run.")
@click.option("--no-mcp", is_flag=True, help="Serve the HTTP API only, without /mcp.")
@click.option(
    "--curate-every",
    type=float,
    default=None,
    metavar="SECONDS",
    help="Seconds between background curation epochs; 0 turns them off"
    " (default $SPARK_CURATION_INTERVAL or 900).",
)
@click.option("--log-level", default="info", show_default=True)
@pass_ctx
def serve(
    obj: CliContext,
    host: str | None,
    port: int | None,
    no_kb: bool,
    no_mcp: bool,
    curate_every: float | None,
    log_level: str,
) -> None:
    """Serve the HTTP API and MCP (at /mcp) to agents that hold API keys."""
    import uvicorn

    from spark_memory.http.app import ServeOptions, create_app
    from spark_memory.http.logs import configure_logging

    spark = obj.local
    settings = spark.settings
    configure_logging(log_level)
    build = None
    if not no_kb and needs_build(spark):
        # Answer at once; search covers each library as soon as it is in.
        click.echo(
            f"building the knowledge base from {' '.join(DEFAULT_LIBRARIES)} in the background"
            " (`spark stats` shows progress; `--no-kb` skips this)",
            err=True,
        )
        build = KbBuild(spark, DEFAULT_LIBRARIES).start()
    # The embedder loads lazily; the first agent should not wait for it (nor for the
    # int8 query graph's one-off build), and /healthz should not wait at all: on a first
    # start, beside the build, loading before listening held the first answer back ~8 s.
    # It loads on a thread; a search that comes sooner waits on the embedder's own lock.
    load = getattr(spark.embedder, "load", None)
    if callable(load):
        threading.Thread(target=load, name="spark-embedder-load", daemon=True).start()
    interval = settings.curation_interval if curate_every is None else curate_every
    app = create_app(spark, ServeOptions(mcp=not no_mcp, curation_interval=interval))
    host, port = host or settings.host, settings.port if port is None else port
    config = uvicorn.Config(app, host=host, port=port, log_config=None, access_log=False)
    # Bound and listening before anything else: a caller that connects now waits in the
    # backlog instead of being refused, and `--port 0` learns its port for server.json.
    sock = config.bind_socket()
    sock.listen(config.backlog)
    url = _url(host, int(sock.getsockname()[1]))
    click.echo(f"Spark serving on {url} (MCP at /mcp, docs at /docs)", err=True)
    click.echo("Agents need a key: spark keys create --org ORG --agent NAME", err=True)
    click.echo(
        f"Web console at {url}/ui; sign in as the operator with a key from"
        " `spark keys create --operator`",
        err=True,
    )
    # uvicorn re-raises SIGTERM after its graceful shutdown; as an exception it lets
    # server.json be removed on the way out.
    signal.signal(signal.SIGTERM, _exit_quietly)
    try:
        with published(settings.home, url):
            uvicorn.Server(config).run(sockets=[sock])
    finally:
        if build is not None:
            build.stop()


def _url(host: str, port: int) -> str:
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"


def _exit_quietly(signum: int, _frame: FrameType | None) -> None:
    raise SystemExit(0)


@click.command("mcp")
@click.option(
    "--session",
    default=None,
    help="Agent session name (default $SPARK_SESSION or the project folder).",
)
@pass_ctx
def mcp_cmd(obj: CliContext, session: str | None) -> None:
    """Serve MCP over stdio to one local agent (no keys needed)."""
    from spark_memory.http.logs import configure_logging
    from spark_memory.mcp.server import build_server, fixed_seat, local_seat, run_stdio
    from spark_memory.mcp.tools import Seat
    from spark_memory.service.sessions import local_session, session_name

    configure_logging("warning")  # stderr: stdout carries the protocol
    if obj.server is not None:
        seat = Seat(obj.client)  # the server notes what it serves, per its session header
    else:
        spark = obj.local
        name = session_name(session) if session else local_session(os.environ, Path.cwd())
        seat = local_seat(spark, _local_principal(spark), spark.settings.home, name)
    run_stdio(build_server(fixed_seat(seat)))


def _local_principal(spark: Spark) -> Principal:
    key = os.environ.get(API_KEY_ENV, "").strip()
    return spark.authenticate(key) if key else LOCAL_PRINCIPAL
