"""Agent sessions: what Spark served an agent, and what happened when it ran its tests.

An agent session is (org, agent, session name). The name comes from the
``X-Spark-Session`` header over HTTP, or, on the agent's machine, from
``$SPARK_SESSION`` or else the project folder (the nearest ancestor holding ``.git``
or ``pyproject.toml``): `spark mcp` and `spark run` are started by the same agent in
the same project, so they agree on the name without being told.

The ledger is one append-only JSON-lines file per session under ``$SPARK_HOME/sessions``,
so the MCP server and a separate `spark run` process see the same history. Entries
older than ``LEDGER_TTL`` are ignored and compacted away.

`record_run` turns a run into experience: a trace that names the ids served since
the previous run (or, when nothing new was served, the ids the previous run tested:
a re-run after a fix tests the same advice), and a verified-outcome vote on each.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import threading
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from spark_memory.errors import InvalidInput, NotFound
from spark_memory.models import MAX_K, MAX_TEXT_CHARS, Outcome, Principal, utcnow
from spark_memory.requests import SESSION_HEADER as SESSION_HEADER
from spark_memory.requests import FeedbackBody, TraceBody
from spark_memory.results import (  # defined there; importable from here too
    RunOutcome as RunOutcome,
)
from spark_memory.results import (
    RunReport as RunReport,
)
from spark_memory.service.verbs import AgentApi

DEFAULT_SESSION = "default"
LEDGER_TTL = timedelta(hours=8)
MAX_VOTES = 20  # verified votes one run casts: the most recently served ids
_COMPACT_BYTES = 256 * 1024
_SESSION = re.compile(r"[A-Za-z0-9._:-]{1,128}")
_PROJECT_MARKERS = (".git", "pyproject.toml", "setup.py", "package.json", "Cargo.toml")


def session_name(raw: str | None) -> str:
    if not raw:
        return DEFAULT_SESSION
    if not _SESSION.fullmatch(raw):
        raise InvalidInput("a session name is 1-128 letters, digits, '.', '_', ':' or '-'")
    return raw


def local_session(environ: dict[str, str] | os._Environ[str], cwd: Path) -> str:
    """The session of an agent working in ``cwd``: $SPARK_SESSION or its project folder."""
    explicit = environ.get("SPARK_SESSION")
    if explicit:
        return session_name(explicit)
    root = next((p for p in (cwd, *cwd.parents) if _is_project(p)), cwd)
    digest = hashlib.sha256(str(root.resolve()).encode("utf-8", "surrogatepass")).hexdigest()
    return f"{root.name[:40] or 'root'}.{digest[:12]}".replace(" ", "-")


def _is_project(folder: Path) -> bool:
    return any((folder / marker).exists() for marker in _PROJECT_MARKERS)


class Ledger:
    """Served ids and run markers per agent session, in files shared between processes."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._lock = threading.Lock()

    def served(self, principal: Principal, session: str, ids: list[str]) -> None:
        if ids:
            self._append(principal, session, {"served": ids[:MAX_K]})

    def mark_run(self, principal: Principal, session: str, ids: list[str], trace_id: str) -> None:
        self._append(principal, session, {"run": trace_id, "ids": ids})

    def since_last_run(self, principal: Principal, session: str) -> list[str]:
        """Ids served since the last run, most recent first; else the last run's ids."""
        entries = self._read(principal, session)
        runs = [n for n, e in enumerate(entries) if "run" in e]
        start = runs[-1] + 1 if runs else 0
        fresh = [i for e in reversed(entries[start:]) for i in e.get("served", [])]
        if fresh:
            return list(dict.fromkeys(fresh))
        return list(entries[runs[-1]].get("ids", [])) if runs else []

    def ever_served(self, principal: Principal, session: str) -> set[str]:
        """Every id served in the session (and every id a run of it tested), within the TTL."""
        entries = self._read(principal, session)
        return {i for e in entries for i in (*e.get("served", []), *e.get("ids", []))}

    def _path(self, principal: Principal, session: str) -> Path:
        key = "\x1f".join((principal.org_id, principal.agent_id, session))
        return self.folder / f"{hashlib.sha256(key.encode()).hexdigest()[:32]}.jsonl"

    def _append(self, principal: Principal, session: str, entry: dict[str, Any]) -> None:
        line = json.dumps({"t": utcnow().timestamp(), **entry}) + "\n"
        path = self._path(principal, session)
        with self._lock:
            self.folder.mkdir(parents=True, exist_ok=True)
            # O_APPEND: a short line lands whole even when another process appends too.
            with path.open("a", encoding="utf-8") as handle:
                handle.write(line)
            if path.stat().st_size > _COMPACT_BYTES:
                self._compact(path)

    def _read(self, principal: Principal, session: str) -> list[dict[str, Any]]:
        path = self._path(principal, session)
        try:
            text = path.read_text("utf-8")
        except FileNotFoundError:
            return []
        oldest = (utcnow() - LEDGER_TTL).timestamp()
        return [e for e in _parse(text) if float(e.get("t", 0)) >= oldest]

    def _compact(self, path: Path) -> None:
        oldest = (utcnow() - LEDGER_TTL).timestamp()
        kept = [e for e in _parse(path.read_text("utf-8")) if float(e.get("t", 0)) >= oldest]
        kept = kept[-1000:]
        tmp = path.with_suffix(".tmp")
        tmp.write_text("".join(json.dumps(e) + "\n" for e in kept), "utf-8")
        os.replace(tmp, path)


@dataclass(frozen=True)
class SessionLog:
    """One agent session's view of the ledger."""

    ledger: Ledger
    principal: Principal
    session: str

    def served(self, ids: list[str]) -> None:
        self.ledger.served(self.principal, self.session, ids)

    def since_last_run(self) -> list[str]:
        return self.ledger.since_last_run(self.principal, self.session)

    def ever_served(self) -> set[str]:
        return self.ledger.ever_served(self.principal, self.session)


def _parse(text: str) -> list[dict[str, Any]]:
    out = []
    for line in text.splitlines():
        try:
            entry = json.loads(line)
        except json.JSONDecodeError:
            continue  # a line cut short by a crash: the rest of the history still counts
        if isinstance(entry, dict):
            out.append(entry)
    return out


# --- runs -----------------------------------------------------------------------------------


def record_run(
    api: AgentApi, ledger: Ledger, principal: Principal, session: str, run: RunOutcome
) -> RunReport:
    """Store a run as a trace tied to what was served, and vote on that with its outcome."""
    served = ledger.since_last_run(principal, session)[:MAX_VOTES]
    trace = TraceBody.given(
        task=run.task or f"run `{run.command}`",
        outcome=run.outcome,
        test_output=_summary(run),
        error=run.error,
        environment=run.environment,
        served_ids=served,
    )
    receipt = api.record_trace(trace)
    votes = _vote(api, served, run.outcome) if run.outcome in _VERIFIED else []
    ledger.mark_run(principal, session, served, receipt.id)
    return RunReport(receipt, served, votes)


_VERIFIED = (Outcome.PASSED, Outcome.FAILED)


def _vote(api: AgentApi, ids: list[str], outcome: Outcome) -> list[str]:
    out = []
    for target in ids:
        try:
            vote = FeedbackBody.given(target_id=target, verified=outcome)
            out.append(api.share_feedback(vote).id)
        except NotFound:
            continue  # erased or no longer visible since it was served: nothing to vote on
    return out


def _summary(run: RunOutcome) -> str:
    head = [
        f"$ {run.command}",
        f"exit code {run.exit_code} after {run.duration_s:.1f} s",
    ]
    if run.failing_tests:
        head.append("failing: " + ", ".join(run.failing_tests[:50]))
    text = "\n".join(head)[: MAX_TEXT_CHARS // 4]
    room = MAX_TEXT_CHARS - len(text) - 2
    # The end of the output is where test runners put the failures and the summary.
    return text + ("\n\n" + run.test_output[-room:] if run.test_output else "")
