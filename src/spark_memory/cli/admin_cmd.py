"""Administration commands: `spark migrate`."""

from __future__ import annotations

import click

from spark_memory.cli.context import CliContext, emit_json, pass_ctx


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_ctx
def migrate(obj: CliContext, as_json: bool) -> None:
    """Apply pending schema migrations to the configured store (SQLite or PostgreSQL)."""
    from spark_memory.service.migrations import migrate as run_migrations

    report = run_migrations(obj.settings)
    if as_json:
        emit_json(report.as_dict())
        return
    for m in report.applied:
        click.echo(f"applied {m.version:04d}_{m.name}")
    if not report.applied:
        click.echo("nothing to apply")
    click.echo(f"{report.backend} store at {report.location}: schema version {report.version}")
