"""Entry point of `spark`: the command tree and the one place errors become exit codes."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from spark_memory import __version__
from spark_memory.cli.admin_cmd import export_cmd, import_cmd, migrate
from spark_memory.cli.ask_cmd import ask
from spark_memory.cli.context import CliContext, emit_json, pass_ctx
from spark_memory.cli.eval_cmd import eval_group
from spark_memory.cli.eval_learning_cmd import learning_cmd
from spark_memory.cli.eval_retrieval_cmd import retrieval_cmd
from spark_memory.cli.init_cmd import init
from spark_memory.cli.kb_cmd import kb_group
from spark_memory.cli.keys_cmd import keys_group
from spark_memory.cli.learn_cmd import COMMANDS as LEARNING_COMMANDS
from spark_memory.cli.run_cmd import run
from spark_memory.cli.serve_cmd import mcp_cmd, serve
from spark_memory.cli.worker_cmd import worker
from spark_memory.errors import SparkError


class SparkGroup(click.Group):
    """Maps Spark's exception tree to a message on stderr and the error's exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except SparkError as exc:
            click.echo(f"error: {exc.message}", err=True)
            sys.exit(exc.exit_code)
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


@cli.command()
@click.argument("query")
@click.option("--library", "libraries", multiple=True, help="Only this library (repeatable).")
@click.option(
    "--version", "versions", multiple=True, metavar="LIB=VER", help="Prefer this version."
)
@click.option(
    "--kind", "kinds", multiple=True, help="api, guide, example, note, or an insight kind."
)
@click.option("--k", default=10, show_default=True, help="How many results.")
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
    hits = obj.spark.search(query, libraries=libraries, versions=_pairs(versions), kinds=kinds, k=k)
    if as_json:
        emit_json([h.model_dump(mode="json") for h in hits])
        return
    if not hits:
        click.echo("no results")
    for n, hit in enumerate(hits, 1):
        name = hit.symbol or hit.title
        click.echo(f"{n:>2}. {name}  [{hit.library} {hit.version} {hit.kind}]  {hit.id}")
        first = hit.text.strip().splitlines()[0] if hit.text.strip() else ""
        click.echo(f"    {first[:110]}")
        if explain:
            parts = [f"{c}: rank {s.rank} score {s.score:.4g}" for c, s in hit.channels.items()]
            click.echo(f"    fused {hit.score:.4f} | " + " | ".join(parts))


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


cli.add_command(ask)
cli.add_command(kb_group)
eval_group.add_command(retrieval_cmd)
eval_group.add_command(learning_cmd)
cli.add_command(eval_group)
cli.add_command(migrate)
cli.add_command(export_cmd)
cli.add_command(import_cmd)
cli.add_command(serve)
cli.add_command(mcp_cmd)
cli.add_command(keys_group)
cli.add_command(init)
cli.add_command(run)
cli.add_command(worker)

for _command in LEARNING_COMMANDS:
    cli.add_command(_command)


def main() -> None:
    cli(prog_name="spark")
