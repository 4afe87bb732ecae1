"""Where a running `spark serve` can be reached: ``$SPARK_HOME/server.json``.

`spark serve` writes ``{"url": ..., "pid": ...}`` once its socket listens and removes
the file when it exits, so the CLI and hooks on the same machine can answer through
the warm server instead of loading the store and the embedder themselves. A file left
behind by a server that died is recognised by its pid and ignored.

This module imports nothing beyond the standard library and ``local_files``: a hook
reads it on every prompt.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from spark_memory.local_files import pid_alive, read_json, write_json

FILE_NAME = "server.json"

__all__ = ["FILE_NAME", "ServerAddress", "address_path", "published", "read_address"]


@dataclass(frozen=True)
class ServerAddress:
    url: str  # e.g. http://127.0.0.1:8765
    pid: int


def address_path(home: Path) -> Path:
    return home / FILE_NAME


def read_address(home: Path) -> ServerAddress | None:
    """The live server of this home, or None (no file, an unreadable one, a dead pid)."""
    raw = read_json(address_path(home))
    try:
        address = ServerAddress(url=str(raw["url"]), pid=int(raw["pid"])) if raw else None
    except (KeyError, TypeError, ValueError):
        return None
    return address if address is not None and pid_alive(address.pid) else None


@contextmanager
def published(home: Path, url: str) -> Iterator[ServerAddress]:
    """Publish ``url`` as this process's address for as long as the block runs."""
    address = ServerAddress(url=url, pid=os.getpid())
    path = address_path(home)
    write_json(path, {"url": address.url, "pid": address.pid})
    try:
        yield address
    finally:
        current = read_address(home)
        # Another server of the same home may have replaced the file since: keep its.
        if current is None or current.pid == address.pid:
            path.unlink(missing_ok=True)
