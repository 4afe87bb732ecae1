"""`spark run -- COMMAND`: run the agent's tests or build, and learn from how it ended.

The command runs as is, its output passes through, and `spark run` exits with its exit
code, so an agent can use it wherever it would run the command itself. Afterwards the
outcome (exit code, failing test names, the error, duration, environment) is stored
as a trace tied to what Spark served in this agent session, and each of those ids
gets a verified vote: passed or failed. Recording problems are reported on stderr
and never change the exit code.
"""

from __future__ import annotations

import os
import platform
import re
import subprocess
import sys
import time
from collections import deque
from importlib import metadata
from pathlib import Path

import click

from spark_memory.cli.context import API_KEY_ENV, CliContext, pass_ctx
from spark_memory.errors import SparkError
from spark_memory.models import LOCAL_PRINCIPAL, MAX_TEXT_CHARS, Outcome
from spark_memory.service.sessions import (
    Ledger,
    RunOutcome,
    RunReport,
    local_session,
    record_run,
)
from spark_memory.service.verbs import BoundSpark

# Packages whose versions explain most library failures; reported when installed.
WATCHED = ("numpy", "pandas", "scipy", "scikit-learn", "matplotlib", "torch", "tensorflow")
MAX_FAILING = 50
_PYTEST_FAILED = re.compile(r"^(?:FAILED|ERROR) (\S+)")
_UNITTEST_FAILED = re.compile(r"^(?:FAIL|ERROR): (\w+) \(([\w.]+)\)")
_PYTEST_E = re.compile(r"^E\s+((?:[\w.]+)(?:Error|Exception|Exit|Failure)\b.*)$")
_EXCEPTION = re.compile(r"^\s*((?:[\w.]+)(?:Error|Exception|Exit|Failure)\b(?::.*)?)$")


@click.command(
    "run",
    context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False},
)
@click.option("--task", default="", help="What you were working on (default: the command).")
@click.option("--env", "environment", multiple=True, metavar="PKG=VER", help="Add a package.")
@click.argument("command", nargs=-1, required=True, type=click.UNPROCESSED)
@pass_ctx
def run(obj: CliContext, task: str, environment: tuple[str, ...], command: tuple[str, ...]) -> None:
    """Run a test or build COMMAND and record how it ended.

    For example `spark run -- pytest -x`. The output passes through and the exit code is the command's. The outcome is stored
    as a trace tied to what Spark served this agent session, with a verified vote on each.
    """
    outcome = execute(list(command), task, _pairs(environment))
    try:
        report = _record(obj, outcome)
    except SparkError as exc:
        click.echo(f"spark: this run was not recorded: {exc.message}", err=True)
    except click.UsageError as exc:  # e.g. --server without a key: the run still counts
        click.echo(f"spark: this run was not recorded: {exc.message}", err=True)
    else:
        votes = len(report.feedback_ids)
        click.echo(
            f"spark: recorded this run ({outcome.outcome.value}) as {report.trace.id}"
            f" ({votes} verified vote{'s' if votes != 1 else ''} on what Spark served)",
            err=True,
        )
    sys.exit(outcome.exit_code if 0 <= outcome.exit_code <= 255 else 1)


def execute(command: list[str], task: str, extra_env: dict[str, str]) -> RunOutcome:
    """Run ``command``, streaming its output, and describe how it ended."""
    started = time.monotonic()
    try:
        proc = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace"
        )
    except OSError as exc:
        code = 127 if isinstance(exc, FileNotFoundError) else 126
        click.echo(f"spark: cannot run {command[0]!r}: {exc.strerror}", err=True)
        return _outcome(command, code, time.monotonic() - started, str(exc), task, extra_env)
    with proc:
        output = _pass_through(proc)
        code = proc.wait()
    return _outcome(command, code, time.monotonic() - started, output, task, extra_env)


def _pass_through(proc: subprocess.Popen[str]) -> str:
    """Echo the command's output as it comes; keep its last MAX_TEXT_CHARS characters."""
    assert proc.stdout is not None  # stdout=PIPE
    tail: deque[str] = deque()
    size = 0
    for line in proc.stdout:
        sys.stdout.write(line)
        tail.append(line)
        size += len(line)
        while size > MAX_TEXT_CHARS and len(tail) > 1:
            size -= len(tail.popleft())
    return "".join(tail)


def _outcome(
    command: list[str],
    code: int,
    seconds: float,
    output: str,
    task: str,
    extra_env: dict[str, str],
) -> RunOutcome:
    return RunOutcome(
        command=" ".join(command)[:2000],
        exit_code=code,
        outcome=classify(command, code),
        duration_s=round(seconds, 3),
        failing_tests=failing_tests(output),
        error=first_error(output) if code else "",
        test_output=output[-MAX_TEXT_CHARS:],
        environment=environment() | extra_env,
        task=task,
    )


def classify(command: list[str], code: int) -> Outcome:
    if code == 0:
        return Outcome.PASSED
    if code < 0 or code in (126, 127):  # killed by a signal, or not runnable at all
        return Outcome.ERROR
    if _is_pytest(command):
        # pytest: 1 tests failed, 5 no tests collected, 2-4 interrupted or misused
        return {1: Outcome.FAILED, 5: Outcome.UNKNOWN}.get(code, Outcome.ERROR)
    return Outcome.FAILED


def _is_pytest(command: list[str]) -> bool:
    names = [Path(part).name for part in command[:3]]
    return bool({"pytest", "py.test"} & set(names)) or "-mpytest" in "".join(command[:3])


def failing_tests(output: str) -> list[str]:
    found: list[str] = []
    for line in output.splitlines():
        if m := _PYTEST_FAILED.match(line):
            found.append(m[1])
        elif m := _UNITTEST_FAILED.match(line):
            found.append(f"{m[2]}.{m[1]}")
    return list(dict.fromkeys(found))[:MAX_FAILING]


def first_error(output: str) -> str:
    """The failure's exception line: pytest's first ``E  Type: msg``, else the last one."""
    lines = output.splitlines()
    for line in lines:
        if m := _PYTEST_E.match(line):
            return m[1][:2000]
    for line in reversed(lines):
        if m := _EXCEPTION.match(line):
            return m[1][:2000]
    return ""


def environment() -> dict[str, str]:
    """Python, platform and the watched packages of the interpreter running Spark."""
    env = {"python": platform.python_version(), "platform": sys.platform}
    for name in WATCHED:
        try:
            env[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return env


def _record(obj: CliContext, outcome: RunOutcome) -> RunReport:
    if obj.server is not None:
        return obj.client.record_run(outcome)  # the server holds this session's ledger
    spark = obj.local
    key = os.environ.get(API_KEY_ENV, "").strip()
    principal = spark.authenticate(key) if key else LOCAL_PRINCIPAL
    session = local_session(os.environ, Path.cwd())
    ledger = Ledger(spark.settings.home / "sessions")
    return record_run(BoundSpark(spark, principal), ledger, principal, session, outcome)


def _pairs(items: tuple[str, ...]) -> dict[str, str]:
    out = {}
    for item in items:
        name, sep, version = item.partition("=")
        if not sep or not name.strip():
            raise click.BadParameter(f"expected PKG=VERSION, got {item!r}", param_hint="--env")
        out[name.strip()] = version.strip()
    return out
