"""Entry point of `spark`: the command tree and the one place errors become exit codes."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import Any

import click

from spark_memory import __version__
from spark_memory.cli.context import CliContext, emit_json, pass_ctx
from spark_memory.errors import SparkError

# Commands whose modules load only when the command runs: importing them all (the
# service, HTTP client, evaluation harness) made `spark --help` take ~0.6 s. The
# summaries are the commands' own (tests/cli/test_cli.py checks they match).
LAZY_COMMANDS: dict[str, tuple[str, str]] = {
    "ask": ("ask_cmd:ask", "Advice before you write code, or when you hit an error."),
    "audit": ("learn_cmd:audit", "Recent writes, most recent first."),
    "curate": (
        "learn_cmd:curate",
        "Run one curation epoch now: traces and feedback in, curated insights out.",
    ),
    "epochs": ("learn_cmd:epochs", "The logs of recent curation epochs."),
    "erase": (
        "learn_cmd:erase",
        "Delete all data of one agent or of the whole org (org admin).",
    ),
    "eval": (
        "eval_cmd:eval_group",
        "Evaluate on DS-1000: execution harness, retrieval, learning, coaching.",
    ),
    "export": (
        "admin_cmd:export_cmd",
        "Export every record of the store (or of one org) as JSON Lines.",
    ),
    "feedback": (
        "learn_cmd:feedback",
        "Vote on a snippet or insight; your latest vote is the one that counts.",
    ),
    "import": (
        "admin_cmd:import_cmd",
        "Import an export made by `spark export` (idempotent: importing twice changes nothing).",
    ),
    "hook": (
        "hook_cmd:hook_group",
        "Commands that agent hooks run (installed by `spark init AGENT --hooks`).",
    ),
    "init": (
        "init_cmd:init",
        "Set up AGENT to use Spark: its MCP entry and a rules block on when to call which tool.",
    ),
    "kb": ("kb_cmd:kb_group", "Build and inspect the documentation knowledge base."),
    "keys": ("keys_cmd:keys_group", "Create and revoke API keys."),
    "mcp": ("serve_cmd:mcp_cmd", "Serve MCP over stdio to one local agent (no keys needed)."),
    "memory": ("learn_cmd:memory_group", "Write, read and extend insights."),
    "migrate": (
        "admin_cmd:migrate",
        "Apply pending schema migrations to the configured store (SQLite or PostgreSQL).",
    ),
    "revert": (
        "learn_cmd:revert",
        "Undo your latest write on TARGET_ID (a trace, insight, or the insight you voted on).",
    ),
    "run": ("run_cmd:run", "Run a test or build COMMAND and record how it ended."),
    "serve": (
        "serve_cmd:serve",
        "Serve the HTTP API and MCP (at /mcp) to agents that hold API keys.",
    ),
    "trace": (
        "learn_cmd:trace_group",
        "Record what an agent tried and what happened (private to your org).",
    ),
    "unmerge": (
        "learn_cmd:unmerge",
        "Undo your org's merges into INSIGHT_ID: the merged lessons become insights again.",
    ),
    "worker": ("worker_cmd:worker", "Run curation and re-embedding jobs queued in the store."),
}


JSON_ERRORS = "spark.json_errors"


def load_command(name: str) -> click.Command:
    module, _, attr = LAZY_COMMANDS[name][0].partition(":")
    command = getattr(importlib.import_module(f"spark_memory.cli.{module}"), attr)
    assert isinstance(command, click.Command)
    return command


class SparkGroup(click.Group):
    """Maps Spark's exception tree to a message on stderr and the error's exit code.

    Also loads the commands of ``LAZY_COMMANDS`` on first use.
    """

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *LAZY_COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in LAZY_COMMANDS and cmd_name not in self.commands:
            self.add_command(load_command(cmd_name), cmd_name)
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        limit = formatter.width - 6 - max(len(name) for name in self.list_commands(ctx))
        rows = []
        for name in self.list_commands(ctx):
            if name in LAZY_COMMANDS and name not in self.commands:
                stand_in = click.Command(name, help=LAZY_COMMANDS[name][1])
                summary = stand_in.get_short_help_str(limit)
            else:
                summary = self.commands[name].get_short_help_str(limit)
            rows.append((name, summary))
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        # Asked for JSON, a script gets its errors as JSON too (same exit codes).
        ctx.meta[JSON_ERRORS] = "--json" in args
        return super().parse_args(ctx, args)

    def invoke(self, ctx: click.Context) -> Any:
        as_json = bool(ctx.meta.get(JSON_ERRORS))
        try:
            return super().invoke(ctx)
        except SparkError as exc:
            _fail(exc.message, exc.exit_code, as_json)
        except click.ClickException as exc:  # bad options and arguments: exit 2
            if not as_json:
                raise
            _fail(exc.format_message(), exc.exit_code, as_json)
        finally:
            obj = ctx.find_object(CliContext)
            if obj is not None:
                obj.close()


@click.group(cls=SparkGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="spark")
@click.option(
    "--home",
    type=click.Path(file_okay=False, path_type=Path),
    help="Spark's data folder (default $SPARK_HOME or ~/.spark).",
)
@click.option(
    "--server",
    metavar="URL",
    help="Use the `spark serve` at URL instead of the local store (key from $SPARK_API_KEY).",
)
@click.pass_context
def cli(ctx: click.Context, home: Path | None, server: str | None) -> None:
    """Spark: shared experiential memory for AI coding agents."""
    overrides: dict[str, Any] = {"home": home} if home else {}
    ctx.obj = CliContext(overrides, server=server)


def _fail(message: str, exit_code: int, as_json: bool) -> None:
    if as_json:
        emit_json({"error": message})
    else:
        click.echo(f"error: {message}", err=True)
    sys.exit(exit_code)


@cli.command()
@click.argument("query")
@click.option("--library", "libraries", multiple=True, help="Only this library (repeatable).")
@click.option(
    "--version", "versions", multiple=True, metavar="LIB=VER", help="Prefer this version."
)
@click.option(
    "--kind", "kinds", multiple=True, help="api, guide, example, note, or an insight kind."
)
@click.option("-k", "--k", "k", default=10, show_default=True, help="How many results.")
@click.option("--explain", is_flag=True, help="Show each hit's rank and score per channel.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_ctx
def search(
    obj: CliContext,
    query: str,
    libraries: tuple[str, ...],
    versions: tuple[str, ...],
    kinds: tuple[str, ...],
    k: int,
    explain: bool,
    as_json: bool,
) -> None:
    """Hybrid search of documentation and experience."""
    if not query.strip():
        raise click.BadParameter("the query is empty", param_hint="QUERY")
    pairs = _pairs(versions)
    served = obj.served
    if served is not None:
        body = {"query": query, "libraries": libraries, "versions": pairs, "kinds": kinds, "k": k}
        found = obj.through_server(lambda: served.post("/search", body))
        if found is not None:
            _print_hits(found["hits"], as_json, explain, found.get("note", ""))
            return
    from spark_memory.requests import SearchBody  # pydantic: only on the local path

    request = SearchBody.given(query=query, libraries=libraries, versions=pairs, kinds=kinds, k=k)
    if obj.server is None:  # internal pages stay out of a one-shot local search too
        obj.local.warm()
    hits = obj.spark.search(request)
    note = "" if hits else obj.spark.stats().empty_note()
    _print_hits([h.model_dump(mode="json") for h in hits], as_json, explain, note)


def _print_hits(hits: list[dict[str, Any]], as_json: bool, explain: bool, note: str) -> None:
    if as_json:
        emit_json(hits)
        return
    if not hits:
        click.echo(note or "no results")
    for n, hit in enumerate(hits, 1):
        name = hit.get("symbol") or hit.get("title")
        where = f"{hit.get('library', '')} {hit.get('version', '')} {hit.get('kind', '')}"
        click.echo(f"{n:>2}. {name}  [{where}]  {hit['id']}")
        text = str(hit.get("text") or "").strip()
        click.echo(f"    {text.splitlines()[0][:110] if text else ''}")
        if explain:
            channels = hit.get("channels") or {}
            parts = [_channel(c, s) for c, s in channels.items()]
            click.echo(f"    fused {hit['score']:.4f} | " + " | ".join(parts))


def _channel(name: str, score: dict[str, Any]) -> str:
    """A channel's rank and score; a boost, a prior or trust (``named``, ``used``,
    ``trust``) has a score only."""
    if score.get("rank") is None:
        return f"{name} {score['score']:.3g}"
    return f"{name}: rank {score['rank']} score {score['score']:.4g}"


def _pairs(items: tuple[str, ...]) -> dict[str, str]:
    out = {}
    for item in items:
        lib, sep, ver = item.partition("=")
        if not sep or not lib or not ver:
            raise click.BadParameter(f"expected LIB=VERSION, got {item!r}", param_hint="--version")
        out[lib] = ver
    return out


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_ctx
def stats(obj: CliContext, as_json: bool) -> None:
    """What the store holds."""
    result = obj.spark.stats()
    if as_json:
        emit_json(result.as_dict())
        return
    click.echo(f"store: {result.location}")
    space = result.embedding
    click.echo(f"embeddings: {space.model} ({space.dim} dims)" if space else "embeddings: none yet")
    click.echo(f"snippets: {result.snippets}")
    for lib in result.libraries:
        click.echo(f"  {lib.library} {lib.version}: {lib.snippets}")
    click.echo("  ".join(f"{name}: {n}" for name, n in result.records.items()))
    if result.kb_build and result.kb_build["state"] != "done":
        building = result.kb_build
        click.echo(
            f"knowledge base build {building['state']}: {building['library'] or '-'}"
            f" {building['library_written']}/{building['library_total']},"
            f" {building['rate']:.0f} snippets/s; in: {', '.join(building['done']) or 'none yet'}"
        )


@cli.command()
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@pass_ctx
def reembed(obj: CliContext, yes: bool) -> None:
    """Re-embed everything with the configured embedding model."""
    spark = obj.local
    if not yes:
        click.confirm(f"Re-embed all snippets with {spark.embedder.model_name}?", abort=True)
    from spark_memory.cli.progress import progress_bar

    with progress_bar("re-embedding") as update:
        done = spark.reembed(update)
    click.echo(f"re-embedded {done} snippets with {spark.embedder.model_name}")


def main() -> None:
    cli(prog_name="spark")
