"""``spark eval``: create the pinned DS-1000 environment and execute answers in it.

    spark eval setup [--path DIR]
    spark eval run --answers MODEL|reference|FILE [--library L] [--limit N] ...

Input problems exit with status 2 and a one-line reason; a run always writes its
JSON report (problem by problem) and prints per-library and per-perturbation
pass counts. Whether candidates pass is the measurement, not an error: ``run``
exits 0 whatever the pass rate.
"""

from __future__ import annotations

import functools
import json
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import click

from spark_memory.cli.eval_options import (
    data_dir_option,
    env_option,
    load_data,
    program_timeout_option,
    python_option,
)
from spark_memory.config import Settings
from spark_memory.errors import InvalidInput, NotFound, SparkError
from spark_memory.eval import environment
from spark_memory.eval.ds1000 import DS1000, LIBRARIES, Answer, Problem, load_answers, select
from spark_memory.eval.execution import (
    DEFAULT_WORKERS,
    ExecutionResult,
    HarnessOptions,
    Summary,
    Tally,
    Task,
    execute_all,
    summarize,
)
from spark_memory.eval.postprocess import postprocess

P = ParamSpec("P")
R = TypeVar("R")

REFERENCE = "reference"


class _BadInput(click.ClickException):
    exit_code = 2


class _Failure(click.ClickException):
    exit_code = 1


def _spark_errors(command: Callable[P, R]) -> Callable[P, R]:
    """Show a SparkError as a one-line message with its own exit status."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except SparkError as exc:
            kind = _BadInput if exc.exit_code == 2 else _Failure
            raise kind(exc.message) from exc

    return wrapper


def _settings() -> Settings:
    """The main CLI's settings when it has loaded them (so `spark --home` counts)."""
    ctx = click.get_current_context(silent=True)
    settings = getattr(ctx.find_root().obj, "settings", None) if ctx else None
    return settings if isinstance(settings, Settings) else Settings.load()


@click.group("eval")
def eval_group() -> None:
    """Evaluate on DS-1000: execution harness, retrieval, learning, coaching."""


# --- setup ---------------------------------------------------------------------------


@eval_group.command("setup")
@click.option(
    "--path",
    "env_dir",
    type=click.Path(path_type=Path),
    help="Where to create it [default: $SPARK_HOME/eval-env].",
)
@click.option(
    "--base-python",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A Python 3.11 to build it from.",
)
@click.option(
    "--pip-arg",
    "pip_args",
    multiple=True,
    help="Extra argument for pip install (repeatable), e.g. --pip-arg=--index-url=URL.",
)
@click.option("--force", is_flag=True, help="Reinstall even if the environment is complete.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@_spark_errors
def setup_command(
    env_dir: Path | None,
    base_python: Path | None,
    pip_args: tuple[str, ...],
    force: bool,
    as_json: bool,
) -> None:
    """Create the pinned execution environment (Python 3.11, upstream's library versions)."""
    target = env_dir or environment.default_path(_settings().home)
    status = environment.create_environment(
        target, base_python=base_python, pip_args=pip_args, force=force, log=_echo_err
    )
    if as_json:
        payload = {
            "path": str(status.path),
            "python": str(status.python),
            "created": status.created,
            "versions": status.versions,
        }
        click.echo(json.dumps(payload, indent=2))
        return
    for name, version in status.versions.items():
        click.echo(f"{name}=={version}")
    click.echo(f"python: {status.python}")


# --- run -----------------------------------------------------------------------------


@eval_group.command("run")
@click.option(
    "--answers",
    required=True,
    help=f"A model under answers/, '{REFERENCE}', or a .jsonl[.gz] answers file.",
)
@click.option(
    "--library",
    "libraries",
    multiple=True,
    type=click.Choice(LIBRARIES, case_sensitive=False),
    help="Only this library (repeatable).",
)
@click.option(
    "--problem",
    "problem_ids",
    multiple=True,
    type=click.IntRange(min=0),
    help="Only this problem id (repeatable).",
)
@click.option(
    "--limit", type=click.IntRange(min=1), help="At most this many problems (after the filters)."
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=DEFAULT_WORKERS,
    show_default=True,
    help="Programs run at once.",
)
@program_timeout_option
@env_option
@python_option
@data_dir_option
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Directory for the JSON report [default: $SPARK_HOME/eval-runs].",
)
@click.option(
    "--include-network-data",
    is_flag=True,
    help="Also run the problems whose test downloads data (they fail offline).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON instead of tables.")
@_spark_errors
def run_command(
    answers: str,
    libraries: tuple[str, ...],
    problem_ids: tuple[int, ...],
    limit: int | None,
    workers: int,
    timeout: float,
    env_dir: Path | None,
    python: Path | None,
    data_dir: Path | None,
    out_dir: Path | None,
    include_network_data: bool,
    as_json: bool,
) -> None:
    """Execute a model's answers (or the reference solutions) and report pass rates."""
    settings = _settings()
    data = load_data(data_dir)
    problems = select(data.problems(), libraries, problem_ids, limit)
    if not problems:
        raise InvalidInput("no problem matches the filters")
    tasks = _tasks(data, answers, problems)
    options = HarnessOptions(
        python=python or environment.env_python(env_dir or environment.default_path(settings.home)),
        timeout=timeout,
        workers=workers,
        skip_network_data=not include_network_data,
    )
    started = datetime.now(UTC)
    clock = time.monotonic()
    results = _execute_with_progress(tasks, options)
    report = _report(answers, data, options, results, started, time.monotonic() - clock)
    path = _write_report(report, out_dir or settings.home / "eval-runs", answers, started)
    if as_json:
        click.echo(json.dumps(report, indent=2))
    else:
        _print_summary(summarize(results), report["wall_time_s"])
    _echo_err(f"report: {path}")


def _tasks(data: DS1000, answers: str, problems: Sequence[Problem]) -> list[Task]:
    if answers == REFERENCE:
        return [Task(p, p.reference_code) for p in problems]
    by_id = _load_answers(data, answers)
    return [Task(p, postprocess(_answer_for(p, by_id, answers).code)) for p in problems]


def _load_answers(data: DS1000, answers: str) -> dict[int, Answer]:
    path = Path(answers)
    try:
        if path.suffix in (".jsonl", ".gz") or path.is_file():
            return load_answers(path)
        return data.answers(answers)
    except NotFound as exc:  # a missing answers file is a bad argument, not a lookup miss
        raise click.BadParameter(exc.message, param_hint="--answers") from exc


def _answer_for(problem: Problem, by_id: dict[int, Answer], source: str) -> Answer:
    answer = by_id.get(problem.problem_id)
    if answer is None:
        raise InvalidInput(f"{source}: no answer for problem {problem.problem_id}")
    # answers aligned to another problem file would be scored against the wrong tests
    if answer.metadata is not None and answer.metadata.library != problem.library:
        raise InvalidInput(
            f"{source}: answer {problem.problem_id} is for {answer.metadata.library}, "
            f"the problem is {problem.library}; answers and problems do not match"
        )
    return answer


def _echo_err(line: str) -> None:
    click.echo(line, err=True)


def _execute_with_progress(tasks: Sequence[Task], options: HarnessOptions) -> list[ExecutionResult]:
    # rich is imported when used, as in the rest of the CLI: `spark --help` stays fast
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    console = Console(stderr=True)
    if not console.is_terminal:
        # rich draws nothing until the end off a terminal; a log needs lines as it goes
        return execute_all(tasks, options, on_result=_log_lines(len(tasks)))
    columns = (
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.fields[tally]}"),
    )
    tally = Tally()
    with Progress(*columns, console=console) as progress:
        bar = progress.add_task("DS-1000", total=len(tasks), tally="")

        def advance(result: ExecutionResult) -> None:
            nonlocal tally
            tally = tally.add(result.status)
            progress.update(bar, advance=1, tally=_tally_text(tally))

        return execute_all(tasks, options, on_result=advance)


def _log_lines(total: int) -> Callable[[ExecutionResult], None]:
    every = max(1, total // 20)
    start = time.monotonic()
    tally = Tally()

    def log(result: ExecutionResult) -> None:
        nonlocal tally
        tally = tally.add(result.status)
        if tally.total % every == 0 or tally.total == total:
            elapsed = time.monotonic() - start
            click.echo(
                f"DS-1000 {tally.total}/{total} {_tally_text(tally)} ({elapsed:.0f} s)", err=True
            )

    return log


def _tally_text(tally: Tally) -> str:
    return f"passed {tally.passed} failed {tally.failed + tally.timeout} skipped {tally.skipped}"


def _report(
    answers: str,
    data: DS1000,
    options: HarnessOptions,
    results: Sequence[ExecutionResult],
    started: datetime,
    wall_time: float,
) -> dict[str, Any]:
    names = [environment.distribution_name(pin) for pin in environment.PINS]
    return {
        "benchmark": "DS-1000",
        "answers": answers,
        "problems_file": str(data.problems_path),
        "python": str(options.python),
        "versions": environment.package_versions(options.python, names),
        "options": {
            "timeout": options.timeout,
            "workers": options.workers,
            "block_network": options.block_network,
            "skip_network_data": options.skip_network_data,
        },
        "started_at": started.isoformat(timespec="seconds"),
        "wall_time_s": round(wall_time, 1),
        "summary": summarize(results).to_dict(),
        "results": [r.to_dict() for r in results],
    }


def _write_report(report: dict[str, Any], out_dir: Path, answers: str, started: datetime) -> Path:
    label = Path(answers).name.split(".jsonl")[0] if answers != REFERENCE else REFERENCE
    path = out_dir / f"ds1000-{label}-{started.strftime('%Y%m%dT%H%M%SZ')}.json"
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(report, indent=2) + "\n", "utf-8")
    except OSError as exc:
        raise InvalidInput(f"cannot write the report to {out_dir}: {exc}") from exc
    return path


def _print_summary(summary: Summary, wall_time: float) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"DS-1000 ({wall_time:.0f} s)")
    # short headers: the table must fit 80 columns next to "Difficult-Rewrite"
    for column in ("", "total", "run", "pass", "fail", "timeout", "skip", "rate"):
        table.add_column(column, justify="left" if not column else "right")
    groups = [
        ("all", {"all": summary.overall}),
        ("library", summary.by_library),
        ("perturbation", summary.by_perturbation),
    ]
    for index, (_, tallies) in enumerate(groups):
        if index:
            table.add_section()
        for name, tally in tallies.items():
            table.add_row(name, *_cells(tally))
    Console().print(table)


def _cells(t: Tally) -> list[str]:
    rate = "-" if t.pass_rate is None else f"{t.pass_rate:.3f}"
    return [
        str(t.total),
        str(t.executed),
        str(t.passed),
        str(t.failed),
        str(t.timeout),
        str(t.skipped),
        rate,
    ]


__all__ = ["eval_group"]

# Registered last: these commands import this module's helpers, which now exist.
from spark_memory.cli.eval_coach_cmd import coach_cmd  # noqa: E402
from spark_memory.cli.eval_learning_cmd import learning_cmd  # noqa: E402
from spark_memory.cli.eval_retrieval_cmd import retrieval_cmd  # noqa: E402

eval_group.add_command(coach_cmd)
eval_group.add_command(retrieval_cmd)
eval_group.add_command(learning_cmd)

if __name__ == "__main__":  # python -m spark_memory.cli.eval_cmd, before the main CLI registers it
    eval_group()
