"""The learning loop from the shell: traces, memories, feedback, curation, undo.

    spark trace record --task T [--code-file F] [--outcome O] [--error E] ...
    spark memory create --title T (--content C | --content-file F) [--query Q] ...
    spark memory show ID          spark memory enrich ID --text T
    spark feedback TARGET [--relevant/--irrelevant] [--correct/--incorrect] [--verified R]
    spark curate                  spark epochs
    spark audit                   spark revert TARGET
    spark unmerge INSIGHT         spark erase (--agent ID | --org) --yes

Every command that prints data takes ``--json``. Data files are read as UTF-8; ``-``
reads standard input.
"""

from __future__ import annotations

from typing import Any

import click

from spark_memory.cli.context import CliContext, emit_json, pass_ctx
from spark_memory.models import LOCAL_PRINCIPAL, Evidence, InsightKind, Outcome, Scope
from spark_memory.requests import EnrichBody, FeedbackBody, MemoryBody, TraceBody
from spark_memory.service import EpochRecord
from spark_memory.service.experience import WriteReceipt

_TEXT_FILE = click.File("r", encoding="utf-8")


def _read(handle: Any) -> str:
    return handle.read() if handle is not None else ""


def _pairs(items: tuple[str, ...], option: str) -> dict[str, str]:
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(f"expected PKG=VERSION, got {item!r}", param_hint=option)
        out[key.strip()] = value.strip()
    return out


def _show_receipt(receipt: WriteReceipt, as_json: bool) -> None:
    if as_json:
        emit_json(receipt.as_dict())
        return
    click.echo(f"{receipt.status}: {receipt.id}")
    if receipt.message:
        click.echo(receipt.message)


# --- traces ------------------------------------------------------------------------------------


@click.group("trace")
def trace_group() -> None:
    """Record what an agent tried and what happened (private to your org)."""


@trace_group.command("record")
@click.option("--task", required=True, help="What the agent was asked to do.")
@click.option("--code-file", type=_TEXT_FILE, help="The code it tried ('-' for stdin).")
@click.option(
    "--outcome",
    type=click.Choice([o.value for o in Outcome]),
    default=Outcome.UNKNOWN.value,
    show_default=True,
)
@click.option("--error", default="", help="The error text or traceback.")
@click.option("--test-output-file", type=_TEXT_FILE, help="Test output to keep with the trace.")
@click.option("--correction-file", type=_TEXT_FILE, help="The code that finally worked.")
@click.option(
    "--env", "environment", multiple=True, metavar="PKG=VER", help="An installed package."
)
@click.option("--model", default="", help="The model that wrote the code.")
@click.option("--served", "served_ids", multiple=True, help="An id Spark served the agent.")
@click.option("--reject-secrets", is_flag=True, help="Refuse the trace if it holds a secret.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_ctx
def trace_record(
    obj: CliContext,
    task: str,
    code_file: Any,
    outcome: str,
    error: str,
    test_output_file: Any,
    correction_file: Any,
    environment: tuple[str, ...],
    model: str,
    served_ids: tuple[str, ...],
    reject_secrets: bool,
    as_json: bool,
) -> None:
    """Store one attempt; secrets are redacted (or the trace refused) before storing."""
    request = TraceBody.given(
        task=task,
        code=_read(code_file),
        outcome=outcome,
        test_output=_read(test_output_file),
        error=error,
        correction=_read(correction_file),
        environment=_pairs(environment, "--env"),
        model=model,
        served_ids=served_ids,
        secrets="reject" if reject_secrets else "redact",
    )
    _show_receipt(obj.spark.record_trace(request), as_json)


# --- memories ----------------------------------------------------------------------------------


@click.group("memory")
def memory_group() -> None:
    """Write, read and extend insights."""


@memory_group.command("create")
@click.option("--title", required=True)
@click.option("--content", default="", help="The lesson (markdown).")
@click.option("--content-file", type=_TEXT_FILE, help="Read the lesson from a file.")
@click.option("--query", default="", help="What someone would search to find this.")
@click.option("--tag", "tags", multiple=True, help="library or library:version (repeatable).")
@click.option(
    "--kind", type=click.Choice([k.value for k in InsightKind]), default=InsightKind.PRACTICE.value
)
@click.option(
    "--scope", type=click.Choice([Scope.PRIVATE.value, Scope.ORG.value]), default=Scope.ORG.value
)
@click.option("--fix-file", type=_TEXT_FILE, help="Code that works (evidence).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_ctx
def memory_create(
    obj: CliContext,
    title: str,
    content: str,
    content_file: Any,
    query: str,
    tags: tuple[str, ...],
    kind: str,
    scope: str,
    fix_file: Any,
    as_json: bool,
) -> None:
    """Store an insight you learned; unsafe or injected advice is refused."""
    request = MemoryBody.given(
        title=title,
        content=content or _read(content_file),
        query=query,
        tags=tags,
        kind=kind,
        scope=scope,
        evidence=Evidence(fix=_read(fix_file)),
    )
    _show_receipt(obj.spark.create_memory(request), as_json)


@memory_group.command("show")
@click.argument("insight_id")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_ctx
def memory_show(obj: CliContext, insight_id: str, as_json: bool) -> None:
    """One insight with its trust and provenance."""
    insight = obj.spark.get_memory(insight_id)
    if as_json:
        emit_json(insight.model_dump(mode="json"))
        return
    click.echo(
        f"{insight.title}  [{insight.kind.value}, {insight.scope.value}, {insight.status.value}]"
    )
    click.echo(
        f"trust: mean {insight.trust.mean:.2f}, lower bound {insight.trust.lower_bound():.2f}"
    )
    if insight.tags:
        click.echo("tags: " + ", ".join(insight.tags))
    click.echo("")
    click.echo(insight.content)
    if insight.provenance.trace_ids:
        click.echo("\nfrom traces: " + ", ".join(insight.provenance.trace_ids))


@memory_group.command("enrich")
@click.argument("insight_id")
@click.option("--text", required=True, help="What to add.")
@click.option("--tag", "tags", multiple=True)
@click.option("--query", default="", help="More words someone would search.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_ctx
def memory_enrich(
    obj: CliContext, insight_id: str, text: str, tags: tuple[str, ...], query: str, as_json: bool
) -> None:
    """Add to an insight of your org."""
    request = EnrichBody.given(addition=text, tags=tags, query=query)
    _show_receipt(obj.spark.enrich_memory(insight_id, request), as_json)


# --- feedback, curation, undo ----------------------------------------------------------------------


@click.command("feedback")
@click.argument("target_id")
@click.option("--relevant/--irrelevant", default=None, help="Was it about your problem?")
@click.option("--correct/--incorrect", default=None, help="Was it right?")
@click.option(
    "--verified",
    type=click.Choice([Outcome.PASSED.value, Outcome.FAILED.value]),
    help="Tests after following it.",
)
@click.option("--comment", default="")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_ctx
def feedback(
    obj: CliContext,
    target_id: str,
    relevant: bool | None,
    correct: bool | None,
    verified: str | None,
    comment: str,
    as_json: bool,
) -> None:
    """Vote on a snippet or insight; your latest vote is the one that counts."""
    request = FeedbackBody.given(
        target_id=target_id, relevant=relevant, correct=correct, verified=verified, comment=comment
    )
    _show_receipt(obj.spark.share_feedback(request), as_json)


def _epoch_dict(record: EpochRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "started": record.started.isoformat(),
        "finished": record.finished.isoformat(),
        "counts": record.counts,
        "events": [vars(e) for e in record.events],
    }


def _show_epoch(record: EpochRecord, verbose: bool) -> None:
    seconds = (record.finished - record.started).total_seconds()
    counts = ", ".join(f"{k} {v}" for k, v in record.counts.items()) or "nothing to do"
    click.echo(f"epoch {record.id} ({seconds:.1f} s): {counts}")
    for event in record.events if verbose else []:
        reason = f" — {event.reason}" if event.reason else ""
        click.echo(f"  {event.action:<9} {event.target_id[:60]}{reason}")


@click.command("curate")
@click.option("--verbose", "-v", is_flag=True, help="List every decision with its reason.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_ctx
def curate(obj: CliContext, verbose: bool, as_json: bool) -> None:
    """Run one curation epoch now: traces and feedback in, curated insights out."""
    record = obj.spark.curate()
    if as_json:
        emit_json(_epoch_dict(record))
    else:
        _show_epoch(record, verbose)


@click.command("epochs")
@click.option("--limit", default=10, show_default=True)
@click.option("--verbose", "-v", is_flag=True, help="List every decision with its reason.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_ctx
def epochs(obj: CliContext, limit: int, verbose: bool, as_json: bool) -> None:
    """The logs of recent curation epochs."""
    records = obj.spark.epochs(limit=limit)
    if as_json:
        emit_json([_epoch_dict(r) for r in records])
        return
    for record in records:
        _show_epoch(record, verbose)


@click.command("audit")
@click.option("--limit", default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_ctx
def audit(obj: CliContext, limit: int, as_json: bool) -> None:
    """Recent writes, most recent first."""
    entries = obj.spark.audit_log(limit=limit)
    if as_json:
        emit_json([{**vars(e), "at": e.at.isoformat()} for e in entries])
        return
    for e in entries:
        click.echo(
            f"{e.seq:>6}  {e.at:%Y-%m-%d %H:%M:%S}  {e.agent_id:<14} {e.action:<15} {e.target_id}"
        )


@click.command("revert")
@click.argument("target_id")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_ctx
def revert(obj: CliContext, target_id: str, as_json: bool) -> None:
    """Undo your latest write on TARGET_ID (a trace, insight, or the insight you voted on)."""
    _show_receipt(obj.spark.revert(target_id), as_json)


@click.command("unmerge")
@click.argument("insight_id")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_ctx
def unmerge(obj: CliContext, insight_id: str, as_json: bool) -> None:
    """Undo your org's merges into INSIGHT_ID: the merged lessons become insights again."""
    restored = obj.local.unmerge(insight_id, principal=LOCAL_PRINCIPAL)
    if as_json:
        emit_json({"target": insight_id, "restored": restored})
        return
    click.echo(f"restored {len(restored)} lesson(s): {', '.join(restored)}")


@click.command("erase")
@click.option("--agent", "agent_id", help="Erase this agent's data.")
@click.option("--org", "whole_org", is_flag=True, help="Erase the whole org's data.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_ctx
def erase(obj: CliContext, agent_id: str | None, whole_org: bool, yes: bool, as_json: bool) -> None:
    """Delete all data of one agent or of the whole org (org admin)."""
    if bool(agent_id) == whole_org:
        raise click.UsageError("give exactly one of --agent ID or --org")
    what = f"agent {agent_id}" if agent_id else "the whole org"
    if not yes:
        click.confirm(f"Erase every trace, insight, vote and log entry of {what}?", abort=True)
    report = obj.spark.erase(agent_id=agent_id)
    if as_json:
        emit_json(vars(report))
        return
    click.echo(
        f"erased {what}: {report.traces} traces, {report.feedback} votes,"
        f" {report.insights_deleted} insights deleted, {report.insights_rewritten} rewritten,"
        f" {report.public_demoted} public insights withdrawn, {report.public_rebuilt} rebuilt"
    )


COMMANDS = (trace_group, memory_group, feedback, curate, epochs, audit, revert, unmerge, erase)
