"""The default knowledge base, built in the background while `spark serve` answers.

A first `spark serve` on an empty home would otherwise harvest and embed the default
libraries (minutes on a laptop, a quarter of an hour on a busy small machine) before
answering anything. Instead a thread builds it one library at a time, so search
works on each library as soon as it is in, and progress (library, count, rate) is
logged and kept in ``$SPARK_HOME/kb-build.json``: the status route, `spark stats` and
the empty-store messages read it there, from any process.

A build that a killed server left unfinished is taken up again by the next start;
ingest is idempotent, so what was already in is not embedded twice.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from spark_memory.errors import SparkError
from spark_memory.local_files import pid_alive, read_json, write_json

if TYPE_CHECKING:  # the façade imports this module
    from spark_memory.service.facade import Spark

FILE_NAME = "kb-build.json"
LOG_EVERY = 2.0  # seconds between progress lines in the log
log = logging.getLogger("spark.kb")

__all__ = ["BuildStatus", "KbBuild", "needs_build", "read_status"]


@dataclass(frozen=True)
class BuildStatus:
    state: str  # building | done | failed | interrupted (its process died mid-build)
    libraries: list[str]
    done: list[str] = field(default_factory=list)  # libraries fully in
    library: str = ""  # the one being built now
    library_written: int = 0  # its snippets embedded so far
    library_total: int = 0  # its snippets to embed
    written: int = 0  # snippets embedded by this build, all libraries
    rate: float = 0.0  # snippets embedded per second since the build started
    started: float = 0.0
    updated: float = 0.0
    pid: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def building(self) -> bool:
        return self.state == "building"

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def describe(self) -> str:
        """One line for people: what is in, what is being built, how fast."""
        if self.state == "done":
            return (
                f"knowledge base built: {', '.join(self.done)} ({self.written} snippets embedded)"
            )
        now = f"{self.library} {self.library_written}/{self.library_total}" if self.library else ""
        ready = f"; searchable now: {', '.join(self.done)}" if self.done else ""
        return (
            f"knowledge base {self.state}: {now or 'starting'} snippets,"
            f" {self.rate:.0f} snippets/s{ready}"
        )


def status_path(home: Path) -> Path:
    return home / FILE_NAME


def read_status(home: Path) -> BuildStatus | None:
    """The last build's status; a build whose process is gone reads as interrupted."""
    raw = read_json(status_path(home))
    try:
        status = BuildStatus(**raw) if raw else None
    except TypeError:
        return None
    if status is None:
        return None
    if status.building and not pid_alive(status.pid):
        return replace(status, state="interrupted")
    return status


def needs_build(spark: Spark) -> bool:
    """An empty knowledge base, or a default build that did not finish."""
    if spark.kb_is_empty():
        return True
    status = read_status(spark.settings.home)
    return status is not None and status.state in ("interrupted", "failed")


class KbBuild:
    """Builds ``libraries`` into ``spark``'s store on a daemon thread, one at a time."""

    def __init__(self, spark: Spark, libraries: Sequence[str]) -> None:
        self.spark = spark
        self.path = status_path(spark.settings.home)
        now = time.time()
        self.status = BuildStatus(
            "building", list(libraries), started=now, updated=now, pid=os.getpid()
        )
        self._logged = 0.0
        self._stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, name="kb-build", daemon=True)

    def start(self) -> KbBuild:
        self._save()
        log.info("kb build started", extra={"libraries": self.status.libraries})
        self.thread.start()
        return self

    def stop(self) -> None:
        """The server is going away: record the build as interrupted (the next start
        resumes it), whatever the thread meets while the store closes under it."""
        if self.status.building:
            self._update(state="interrupted")
        self._stopping.set()

    def _run(self) -> None:
        try:
            for library in self.status.libraries:
                self._update(library=library, library_written=0, library_total=0)
                result = self.spark.kb_ingest_libraries(
                    [library], progress=lambda n, total: self._progress(n, total)
                )
                self._update(
                    done=[*self.status.done, library],
                    library="",
                    problems=[*self.status.problems, *result.problems],
                )
                log.info(
                    "kb library in", extra={"library": library, "snippets": result.ingest.seen}
                )
        except SparkError as exc:
            if self._stopping.is_set():
                return
            self._update(state="failed", problems=[*self.status.problems, exc.message])
            log.error("kb build failed", extra={"error": exc.message})
            return
        self._update(state="done")
        log.info("kb build done", extra={"written": self.status.written})

    def _progress(self, written: int, total: int) -> None:
        before = self.status.library_written
        self._update(
            library_written=written,
            library_total=total,
            written=self.status.written + max(0, written - before),
        )
        if time.monotonic() - self._logged >= LOG_EVERY:
            self._logged = time.monotonic()
            log.info(
                "kb build progress",
                extra={
                    "library": self.status.library,
                    "written": written,
                    "total": total,
                    "rate": round(self.status.rate, 1),
                },
            )

    def _update(self, **changes: Any) -> None:
        if self._stopping.is_set():
            return  # stopped: the file keeps saying so
        now = time.time()
        status = replace(self.status, **changes, updated=now)
        elapsed = max(now - status.started, 1e-6)
        self.status = replace(status, rate=status.written / elapsed)
        self._save()

    def _save(self) -> None:
        write_json(self.path, self.status.as_dict())
