"""What the benchmarks share: a `spark serve` of their own on loopback, percentiles, and
writing a report.

A benchmark imports it from this folder (running a script puts the folder on
``sys.path``; the tests that import a benchmark put it there too).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

Report = dict[str, Any]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Served:
    home: Path
    port: int
    proc: subprocess.Popen[bytes]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def kill(self) -> None:
        """SIGKILL: no graceful shutdown may flush anything the acknowledgement did not."""
        self.proc.kill()
        self.proc.wait()


def serve(
    home: Path, *args: str, log: str = "serve.log", wait: float = 120.0, **env: str
) -> Served:
    """`spark serve --no-kb *args` for ``home`` on a free loopback port, once /healthz
    answers (within ``wait`` seconds: a shared machine can be slow to import it all):
    hash embedder, no rate limit, no background curation, unless ``env`` says."""
    port = free_port()
    environ = {
        **os.environ,
        "SPARK_HOME": str(home),
        "SPARK_EMBEDDER": "hash",
        "SPARK_RATE_LIMIT": "0",
        "SPARK_CURATION_INTERVAL": "0",
        **env,
    }
    spark = str(Path(sys.executable).with_name("spark"))
    command = [spark, "serve", "--no-kb", *args, "--port", str(port), "--log-level", "warning"]
    with (home / log).open("wb") as out:
        proc = subprocess.Popen(command, env=environ, stdout=out, stderr=subprocess.STDOUT)
    served = Served(home, port, proc)
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"spark serve exited: {(home / log).read_text()}")
        try:
            if httpx.get(f"{served.url}/healthz", timeout=1).status_code == 200:
                return served
        except httpx.HTTPError:
            time.sleep(0.1)
    served.kill()
    raise SystemExit("spark serve did not start")


def percentile(values: list[float], q: float) -> float:
    """The value at rank ``q`` (0..1) of ``values``; nan when there are none."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def write_report(out: Path, name: str, report: Report, markdown: Callable[[Report], str]) -> str:
    """``name``.json and ``name``.md under ``out``; returns the markdown, to print."""
    text = markdown(report)
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{name}.json").write_text(json.dumps(report, indent=2), "utf-8")
    (out / f"{name}.md").write_text(text, "utf-8")
    return text
