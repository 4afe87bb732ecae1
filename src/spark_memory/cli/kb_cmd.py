"""`spark kb`: build and inspect the knowledge base."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from spark_memory.cli.context import CliContext, emit_json, pass_ctx
from spark_memory.cli.progress import progress_bar
from spark_memory.models import LOCAL_PRINCIPAL
from spark_memory.service import governance
from spark_memory.service.base import Progress
from spark_memory.service.kb_progress import recorded
from spark_memory.service.knowledge import DEFAULT_LIBRARIES, KbIngestResult


@click.group("kb")
def kb_group() -> None:
    """Build and inspect the documentation knowledge base."""


@kb_group.command("ingest")
@click.argument("libraries", nargs=-1)
@click.option(
    "--python",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Harvest the libraries of this interpreter's environment (e.g. a venv's bin/python).",
)
@click.option(
    "--guides",
    "--docs",
    "guides",
    metavar="SOURCE",
    help="Ingest how-to docs instead: a folder (Sphinx HTML, reST, Markdown, gallery "
    "scripts), debian:PACKAGE (python-pandas-doc), git+URL@TAG, or `known` for every "
    "known source on this machine (of LIBRARIES, if named).",
)
@click.option("--library", help="Library the --guides source documents (import name).")
@click.option("--doc-version", default="", help="Version the --guides source documents.")
@click.option("--base-url", default="", help="Prefix that turns doc paths into citable URLs.")
@click.option("--json", "as_json", is_flag=True, help="Print a machine summary.")
@pass_ctx
def ingest_cmd(
    obj: CliContext,
    libraries: tuple[str, ...],
    python: Path | None,
    guides: str | None,
    library: str | None,
    doc_version: str,
    base_url: str,
    as_json: bool,
) -> None:
    """Harvest LIBRARIES (default: numpy pandas scipy sklearn matplotlib) into the KB.

    Re-running is incremental: unchanged snippets are not re-embedded, and snippets
    that vanished from a library version are removed. Docstrings and guides of one
    library version are kept apart: ingesting one never removes the other.
    """
    spark = obj.local
    if library is not None and guides is None:
        raise click.UsageError("--library names the library of a --guides source")
    if guides == "known":
        results = _ingest_known(obj, libraries, as_json)
    elif guides is not None:
        if libraries:
            raise click.UsageError("name the library of a --guides source with --library")
        with _progress(obj, f"ingesting {guides}", guides, as_json) as update:
            results = [
                spark.kb_ingest_guides(
                    guides,
                    library=library or "",
                    version=doc_version,
                    base_url=base_url,
                    progress=update,
                )
            ]
    else:
        names = libraries or DEFAULT_LIBRARIES
        if libraries:  # named ones must exist; the default set skips what is not installed
            spark.kb_missing_libraries(libraries, python)
        if not as_json:
            click.echo(f"harvesting {' '.join(names)} ...", err=True)
        with _progress(obj, "embedding", " ".join(names), as_json) as update:
            results = [spark.kb_ingest_libraries(names, python=python, progress=update)]
    if as_json:
        emit_json(results[0].as_dict() if len(results) == 1 else [r.as_dict() for r in results])
        return
    for result in results:
        _report(result, as_json)


def _ingest_known(
    obj: CliContext, libraries: tuple[str, ...], as_json: bool
) -> list[KbIngestResult]:
    spark = obj.local
    sources = spark.kb_known_guides(libraries)
    if not sources:
        raise click.UsageError(
            "no known guide source on this machine (install python-pandas-doc, "
            "python-scipy-doc or python-sklearn-doc, or put <library>-<version> folders "
            "in $SPARK_HOME/guides or SPARK_GUIDE_DIRS)"
        )
    results = []
    for spec in sources:
        with _progress(obj, f"ingesting {spec}", spec, as_json) as update:
            results.append(spark.kb_ingest_guides(spec, progress=update))
    return results


@contextmanager
def _progress(obj: CliContext, label: str, what: str, quiet: bool) -> Iterator[Progress]:
    """The progress bar, its counts also written for the web console to show."""
    with (
        progress_bar(label, quiet=quiet) as bar,
        recorded(obj.local.settings.home, what, bar) as update,
    ):
        yield update


def _report(result: KbIngestResult, as_json: bool) -> None:
    if as_json:
        emit_json(result.as_dict())
        return
    if result.harvest is not None:
        click.echo(result.harvest.render())
    for g in result.guides:
        kinds = ", ".join(f"{n} {k}" for k, n in sorted(g.by_kind.items()))
        click.echo(
            f"{g.library} {g.version} guides from {g.source}: {g.files} pages, {g.snippets} "
            f"sections ({kinds}), {g.with_apis} naming {g.apis} distinct APIs"
        )
    r = result.ingest
    click.echo(
        f"ingested {r.seen} snippets: {r.inserted} new, {r.updated} updated, "
        f"{r.unchanged} unchanged, {r.deleted} removed; {r.embedded} embedded in {r.seconds:.1f}s"
    )
    for problem in result.problems:
        click.echo(f"warning: {problem}", err=True)


@kb_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_ctx
def list_cmd(obj: CliContext, as_json: bool) -> None:
    """Libraries and versions in the knowledge base."""
    stats = obj.spark.stats().libraries
    if as_json:
        emit_json(
            [{"library": s.library, "version": s.version, "snippets": s.snippets} for s in stats]
        )
        return
    if not stats:
        click.echo("the knowledge base is empty; run `spark kb ingest`")
    for s in stats:
        click.echo(f"{s.library:<12} {s.version:<16} {s.snippets:>7} snippets")


@kb_group.command("stats")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_ctx
def stats_cmd(obj: CliContext, as_json: bool) -> None:
    """Snippet counts per library, version and kind."""
    result = obj.spark.stats()
    if as_json:
        emit_json(
            {
                "snippets": result.snippets,
                "embedding": None if result.embedding is None else vars(result.embedding),
                "libraries": [vars(s) for s in result.libraries],
            }
        )
        return
    click.echo(f"{result.snippets} snippets")
    for s in result.libraries:
        kinds = ", ".join(f"{k} {n}" for k, n in sorted(s.by_kind.items()))
        click.echo(f"  {s.library} {s.version}: {s.snippets} ({kinds})")


@kb_group.command("remove")
@click.argument("library")
@click.option("--version", "version", default=None, help="Only this version.")
@click.option("--reason", default="", help="Why, for the audit log.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_ctx
def remove_cmd(
    obj: CliContext, library: str, version: str | None, reason: str, as_json: bool
) -> None:
    """Remove a library (or one version of it) from the knowledge base (audited)."""
    result = governance.remove_library(
        obj.local, library, version, reason=reason, principal=LOCAL_PRINCIPAL
    )
    if as_json:
        emit_json({"deleted": result.deleted})
    else:
        click.echo(f"removed {result.deleted} snippets")


@kb_group.command("show")
@click.argument("snippet_id")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_ctx
def show_cmd(obj: CliContext, snippet_id: str, as_json: bool) -> None:
    """Show one snippet in full."""
    snippet = obj.spark.kb_show(snippet_id)
    if as_json:
        emit_json(snippet.model_dump(mode="json"))
        return
    click.echo(f"{snippet.symbol}  [{snippet.library} {snippet.version} {snippet.kind.value}]")
    click.echo(f"source: {snippet.source}")
    click.echo("")
    click.echo(snippet.text)
