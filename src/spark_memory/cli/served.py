"""A `spark serve` running on this machine, reached with the standard library only.

`spark search`, `spark ask` and the agent hooks answer through a warm server when
``$SPARK_HOME/server.json`` names a live one and ``$SPARK_API_KEY`` holds a key for
it: the server already holds the store and the embedder, so the command skips loading
them (seconds) for one loopback request. urllib rather than the Python client, whose
import pulls in the service layer and costs more than the request saves.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from spark_memory import errors
from spark_memory.cli.context import API_KEY_ENV
from spark_memory.http.address import read_address


class Unreachable(Exception):
    """The published server did not answer (gone, hung, or not speaking HTTP)."""


@dataclass(frozen=True)
class Served:
    url: str
    key: str

    def post(self, path: str, body: Mapping[str, Any], timeout: float = 30.0) -> Any:
        """POST JSON to ``/v1{path}``; a refusal is raised as the server's SparkError."""
        request = urllib.request.Request(
            f"{self.url.rstrip('/')}/v1{path}",
            data=json.dumps(body).encode(),
            headers={"Authorization": f"Bearer {self.key}", "Content-Type": "application/json"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as exc:
            raise _refusal(exc) from exc
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise Unreachable(f"{self.url}: {exc}") from exc


def find_server(home: Path, environ: Mapping[str, str]) -> Served | None:
    """The live server published in ``home``, if there is one and a key to use it."""
    key = environ.get(API_KEY_ENV, "").strip()
    if not key:
        return None
    address = read_address(home)
    return Served(address.url, key) if address is not None else None


def _refusal(exc: urllib.error.HTTPError) -> errors.SparkError:
    try:
        body = json.loads(exc.read() or b"{}")
    except ValueError:
        body = {}
    name = body.get("error") if isinstance(body, dict) else None
    message = body.get("message") if isinstance(body, dict) else None
    kind = getattr(errors, name, None) if isinstance(name, str) else None
    if not (isinstance(kind, type) and issubclass(kind, errors.SparkError)):
        kind = errors.InvalidInput if 400 <= exc.code < 500 else errors.SparkError
    return kind(str(message or f"HTTP {exc.code} from the server"))
