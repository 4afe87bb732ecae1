"""Administration commands: `spark migrate`, `spark export`, `spark import`."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import click

from spark_memory.cli.context import CliContext, emit_json, pass_ctx
from spark_memory.service import Spark, open_store


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_ctx
def migrate(obj: CliContext, as_json: bool) -> None:
    """Apply pending schema migrations to the configured store (SQLite or PostgreSQL)."""
    from spark_memory.service.migrations import migrate as run_migrations

    _refuse_server(obj, "migrate")
    report = run_migrations(obj.settings)
    if as_json:
        emit_json(report.as_dict())
        return
    for m in report.applied:
        click.echo(f"applied {m.version:04d}_{m.name}")
    if not report.applied:
        click.echo("nothing to apply")
    click.echo(f"{report.backend} store at {report.location}: schema version {report.version}")


@click.command("export")
@click.option("--org", "org_id", help="Only this org's records (default: the whole store).")
@click.option("--no-vectors", is_flag=True, help="Leave vectors out; the importer re-embeds.")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the export here (default: standard output).",
)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON summary (with --output).")
@pass_ctx
def export_cmd(
    obj: CliContext, org_id: str | None, no_vectors: bool, output: Path | None, as_json: bool
) -> None:
    """Export every record of the store (or of one org) as JSON Lines."""
    from spark_memory.service.transfer import export_store

    if as_json and output is None:
        raise click.UsageError("--json prints a summary on stdout, so it needs --output")
    _refuse_server(obj, "export")
    store = open_store(obj.settings)
    try:
        if output is None:
            report = export_store(store, sys.stdout, org_id=org_id, vectors=not no_vectors)
            click.echo(_summary("exported", report.counts), err=True)
            return
        partial = output.with_name(output.name + ".partial")
        with partial.open("w", encoding="utf-8") as out:
            report = export_store(store, out, org_id=org_id, vectors=not no_vectors)
        partial.replace(output)  # a reader never sees half an export under the real name
    finally:
        store.close()
    if as_json:
        emit_json({"path": str(output), **report.as_dict()})
    else:
        click.echo(_summary(f"exported to {output}:", report.counts))


@click.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--reembed", is_flag=True, help="Embed with the configured model instead of copying vectors."
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_ctx
def import_cmd(obj: CliContext, path: Path, reembed: bool, as_json: bool) -> None:
    """Import an export made by `spark export` (idempotent: importing twice changes nothing)."""
    from spark_memory.cli.progress import progress_bar

    _refuse_server(obj, "import")

    def lines() -> Iterator[str]:
        with path.open(encoding="utf-8") as f:
            yield from f

    with (
        Spark.open(obj.settings) as spark,
        progress_bar(f"importing {path.name}", quiet=as_json) as update,
    ):
        report = spark.import_records(lines, reembed=reembed, progress=update)
        model = spark.embedder.model_name
    if as_json:
        emit_json(report.as_dict())
        return
    click.echo(_summary("imported", report.counts))
    for kind, n in report.skipped.items():
        click.echo(f"skipped {n} {kind} records (the org's log already had entries)")
    if report.embedded:
        click.echo(f"embedded {report.embedded} texts with {model}")


def _refuse_server(obj: CliContext, command: str) -> None:
    # These act on this machine's store; with `spark --server URL` they would
    # otherwise silently export, import or migrate the wrong one.
    if getattr(obj, "server", None) is not None:
        raise click.UsageError(f"{command} works on the local store only; drop --server")


def _summary(verb: str, counts: dict[str, int]) -> str:
    parts = [f"{n} {kind}" for kind, n in counts.items()]
    return f"{verb} {', '.join(parts) or 'nothing'}"
