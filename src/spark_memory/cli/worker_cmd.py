"""`spark worker`: take curation and re-embedding jobs from the store's queue.

Run one or more next to the `spark serve` replicas, against the same store. SIGTERM or
Ctrl-C stops a worker after its current job (a worker killed outright loses nothing:
its job is taken again when its lease lapses, see ``SPARK_JOB_LEASE``).
"""

from __future__ import annotations

import signal
import threading
from types import FrameType

import click

from spark_memory.cli.context import CliContext, emit_json, pass_ctx
from spark_memory.models import LOCAL_PRINCIPAL
from spark_memory.service import Job
from spark_memory.service.jobs import CURATION, REEMBED


@click.command("worker")
@click.option("--once", is_flag=True, help="Exit once no job is left to take.")
@click.option(
    "--poll",
    type=click.FloatRange(min=0.01),
    default=None,
    metavar="SECONDS",
    help="Seconds between looks at an empty queue (default $SPARK_WORKER_POLL or 2).",
)
@click.option(
    "--curate-every",
    type=click.FloatRange(min=0),
    default=0.0,
    metavar="SECONDS",
    help="Also queue a curation epoch this often (0: never). Several workers may: a"
    " waiting epoch is never queued twice.",
)
@click.option(
    "--enqueue",
    type=click.Choice([CURATION, REEMBED]),
    multiple=True,
    help="Queue this job before working (repeatable).",
)
@click.option("--list", "list_only", is_flag=True, help="List recent jobs and exit.")
@click.option("--log-level", default="info", show_default=True, help="Of the JSON log on stderr.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_ctx
def worker(
    obj: CliContext,
    once: bool,
    poll: float | None,
    curate_every: float,
    enqueue: tuple[str, ...],
    list_only: bool,
    log_level: str,
    as_json: bool,
) -> None:
    """Run curation and re-embedding jobs queued in the store."""
    from spark_memory.http.logs import configure_logging

    spark = obj.local
    for kind in enqueue:
        operator = LOCAL_PRINCIPAL
        if kind == CURATION:
            job = spark.enqueue_curation(principal=operator)
        else:
            job = spark.enqueue_reembed(principal=operator)
        _echo(f"queued {job.kind} job {job.id} ({job.state})", as_json)
    if list_only:
        _list(spark.jobs(limit=50), as_json)
        return
    configure_logging(log_level)
    stop = threading.Event()
    _stop_on_signals(stop)
    report = spark.run_worker(once=once, poll=poll, stop=stop, curate_every=curate_every)
    if as_json:
        emit_json(report.as_dict())
    else:
        click.echo(
            f"worker {report.worker}: {report.done} done, {report.failed} failed,"
            f" {report.lost} lost to another worker"
        )


def _stop_on_signals(stop: threading.Event) -> None:
    def handle(signum: int, _frame: FrameType | None) -> None:
        click.echo(f"{signal.Signals(signum).name}: stopping after the current job", err=True)
        stop.set()

    signal.signal(signal.SIGTERM, handle)
    signal.signal(signal.SIGINT, handle)


def _list(jobs: list[Job], as_json: bool) -> None:
    if as_json:
        emit_json([_job_dict(j) for j in jobs])
        return
    if not jobs:
        click.echo("no jobs")
    for job in jobs:
        owner = f" by {job.lease_owner}" if job.lease_owner else ""
        error = f" — {job.error}" if job.error else ""
        click.echo(
            f"{job.created:%Y-%m-%d %H:%M:%S}  {job.id}  {job.kind:<9} {job.state:<8}"
            f" attempt {job.attempts}/{job.max_attempts}{owner}{error}"
        )


def _job_dict(job: Job) -> dict[str, object]:
    out = dict(vars(job))
    out.pop("lease_token")  # proves a lease; nobody reading a listing needs it
    return out


def _echo(message: str, as_json: bool) -> None:
    # with --json, stdout carries only the JSON document
    click.echo(message, err=as_json)
