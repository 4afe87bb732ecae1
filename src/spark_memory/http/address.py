"""Where a running `spark serve` can be reached: ``$SPARK_HOME/server.json``.

`spark serve` writes ``{"url": ..., "pid": ...}`` once its socket listens and removes
the file when it exits, so the CLI and hooks on the same machine can answer through
the warm server instead of loading the store and the embedder themselves. A file left
behind by a server that died is recognised by its pid and ignored.

This module imports nothing beyond the standard library: a hook reads it on every
prompt.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

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
    try:
        raw = json.loads(address_path(home).read_text(encoding="utf-8"))
        address = ServerAddress(url=str(raw["url"]), pid=int(raw["pid"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return address if _alive(address.pid) else None


@contextmanager
def published(home: Path, url: str) -> Iterator[ServerAddress]:
    """Publish ``url`` as this process's address for as long as the block runs."""
    address = ServerAddress(url=url, pid=os.getpid())
    path = address_path(home)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{FILE_NAME}.{address.pid}")
    partial.write_text(json.dumps({"url": address.url, "pid": address.pid}), encoding="utf-8")
    partial.replace(path)  # atomic: a reader sees the old file or the new one, never half
    try:
        yield address
    finally:
        current = read_address(home)
        # Another server of the same home may have replaced the file since: keep its.
        if current is None or current.pid == address.pid:
            path.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by someone else
    return True
