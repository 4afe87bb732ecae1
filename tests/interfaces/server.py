"""A real `spark serve` on loopback, in a subprocess, over a tiny seeded store.

The store is seeded through the façade before the server starts: five documentation
snippets (hash embedder, so no model loads) and keys for two orgs. Tests talk to the
server only over HTTP (the Python client, raw httpx, the MCP SDK's client), exactly
as agents do.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from spark_memory.config import Settings
from spark_memory.http.client import SparkClient
from spark_memory.models import LOCAL_PRINCIPAL, Snippet, SnippetKind
from spark_memory.service import Spark

SPARK = str(Path(sys.executable).with_name("spark"))

DOCS = [
    (
        "pandas",
        "2.2.0",
        "pandas.Series.value_counts",
        "Return a Series with counts of unique values.",
    ),
    ("pandas", "2.2.0", "pandas.DataFrame.groupby", "Group a DataFrame by a mapper or columns."),
    (
        "pandas",
        "2.2.0",
        "pandas.DataFrame.merge",
        "Merge DataFrame objects with a database-style join.",
    ),
    ("numpy", "1.26.4", "numpy.argsort", "Returns the indices that would sort an array."),
    ("numpy", "1.26.4", "numpy.unique", "Find the unique elements of an array."),
]

# Who holds a key: name -> (org, agent, role)
KEYS = {
    "admin": ("acme", "lead", "admin"),
    "writer": ("acme", "bot", "writer"),
    "reader": ("acme", "viewer", "reader"),
    "revoked": ("acme", "gone", "writer"),
    "other": ("globex", "boss", "admin"),
    "other_writer": ("globex", "intern", "writer"),
    "fuzz": ("fuzzco", "fuzzer", "admin"),  # an org of its own: fuzzing may erase it
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def seed(home: Path) -> dict[str, str]:
    """A tiny knowledge base and one key per entry of KEYS; returns name -> secret."""
    settings = Settings.load(environ={"SPARK_EMBEDDER": "hash"}, home=home)
    with Spark.open(settings) as spark:
        snippets = [
            Snippet.build(
                library=lib,
                version=ver,
                symbol=sym,
                kind=SnippetKind.API,
                title=sym.rsplit(".", 1)[-1],
                text=text,
            )
            for lib, ver, sym, text in DOCS
        ]
        vectors = spark.embedder.embed([s.embed_text for s in snippets])
        spark.store.upsert_snippets(snippets, vectors, spark.space)
        secrets = {}
        for name, (org, agent, role) in KEYS.items():
            key = spark.create_key(org, agent, role, principal=LOCAL_PRINCIPAL)
            secrets[name] = key.secret
            if name == "revoked":
                spark.revoke_key(key.id, principal=LOCAL_PRINCIPAL)
    return secrets


@dataclass
class Server:
    home: Path
    port: int
    keys: dict[str, str]
    proc: subprocess.Popen[str] | None = None
    log_path: Path = field(init=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self, **extra: str) -> dict[str, str]:
        return {
            **os.environ,
            "SPARK_HOME": str(self.home),
            "SPARK_EMBEDDER": "hash",
            "SPARK_CURATION_INTERVAL": "0",
            "SPARK_RATE_LIMIT": "0",
            **extra,
        }

    def start(self, *args: str, kb: bool = False, **env: str) -> Server:
        """Serve; ``kb=True`` lets `spark serve` decide whether to build the KB (it must not)."""
        self.log_path = self.home / f"serve-{self.port}.log"
        no_kb = [] if kb else ["--no-kb"]
        command = [SPARK, "serve", *no_kb, "--port", str(self.port), *args]
        with self.log_path.open("w") as log:  # the child keeps its own copy of the handle
            self.proc = subprocess.Popen(
                command, env=self.env(**env), stdout=log, stderr=subprocess.STDOUT, text=True
            )
        self._wait_healthy()
        return self

    def _wait_healthy(self) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise RuntimeError(f"spark serve exited:\n{self.log()}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        raise RuntimeError(f"spark serve did not become healthy:\n{self.log()}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def log(self) -> str:
        return self.log_path.read_text() if self.log_path.exists() else ""

    def client(self, who: str = "writer", session: str | None = None) -> SparkClient:
        return SparkClient(self.url, self.keys[who], session=session, retries=0)

    def headers(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[who]}"}


def start_server(home: Path, *args: str, **env: str) -> Server:
    return Server(home, free_port(), seed(home)).start(*args, **env)
