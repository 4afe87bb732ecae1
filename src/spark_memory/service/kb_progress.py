"""Progress of a `spark kb ingest` run, kept where any process of the machine can read it.

The CLI shows its own progress bar; the web console, served by another process, reads
the same counts from ``$SPARK_HOME/kb-ingest.json``. The file is rewritten at most twice
a second, and names the writing process, so a run that was killed reads as interrupted
rather than running forever. The first-run build of the default knowledge base keeps
its own status (``kb_build.py``).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from spark_memory.local_files import pid_alive, read_json, write_json
from spark_memory.service.base import Progress

FILE_NAME = "kb-ingest.json"
WRITE_EVERY = 0.5  # seconds between rewrites of the file


@dataclass(frozen=True)
class IngestProgress:
    what: str  # the libraries or the guide source being ingested
    state: str  # running | done | failed | interrupted (its process died)
    done: int = 0  # snippets embedded and written so far
    total: int = 0  # snippets to embed (0 while harvesting)
    pid: int = 0
    started: float = 0.0
    updated: float = 0.0
    error: str = ""

    @property
    def running(self) -> bool:
        return self.state == "running"

    @property
    def rate(self) -> float:
        seconds = self.updated - self.started
        return self.done / seconds if seconds >= 1 else 0.0  # no rate from the first second


def read_ingest(home: Path) -> IngestProgress | None:
    """The latest ingest's progress; one whose process is gone reads as interrupted."""
    raw = read_json(home / FILE_NAME)
    if raw is None:
        return None
    try:
        found = IngestProgress(**raw)
    except TypeError:  # a file from another version: nothing to show
        return None
    if found.running and not pid_alive(found.pid):
        return replace(found, state="interrupted")
    return found


@contextmanager
def recorded(home: Path, what: str, progress: Progress) -> Iterator[Progress]:
    """Wrap ``progress`` so that each update is also written for other processes."""
    now = time.time()
    state = IngestProgress(what, "running", pid=os.getpid(), started=now, updated=now)
    path = home / FILE_NAME
    write_json(path, asdict(state))
    last = 0.0

    def update(done: int, total: int) -> None:
        nonlocal state, last
        progress(done, total)
        state = replace(state, done=done, total=total, updated=time.time())
        if state.updated - last >= WRITE_EVERY or done == total:
            write_json(path, asdict(state))
            last = state.updated

    try:
        yield update
    except KeyboardInterrupt:
        write_json(path, asdict(replace(state, state="interrupted")))
        raise
    except Exception as exc:  # recorded for the console, then raised on unchanged
        write_json(path, asdict(replace(state, state="failed", error=str(exc)[:300])))
        raise
    write_json(path, asdict(replace(state, state="done", updated=time.time())))
