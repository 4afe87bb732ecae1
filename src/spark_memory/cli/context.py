"""What every command shares: settings, the service (local or remote), output helpers.

``obj.spark`` is the one switch between the local store and a remote server: with
``spark --server URL ...`` it is a ``SparkClient`` (key from ``$SPARK_API_KEY``),
otherwise the ``Spark`` façade bound to the local operator; both have the same verbs
(``SparkApi``), so commands do not care which. Commands that only make sense on the
server's own machine (ingesting the knowledge base, re-embedding, serving) use
``obj.local``, which refuses ``--server`` instead of silently acting on the wrong store.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from spark_memory.config import Settings

if TYPE_CHECKING:  # imported when first used: `spark --help` must start fast
    from spark_memory.cli.served import Served
    from spark_memory.http.client import SparkClient
    from spark_memory.service import Spark
    from spark_memory.service.verbs import SparkApi

API_KEY_ENV = "SPARK_API_KEY"
T = TypeVar("T")


@dataclass
class CliContext:
    overrides: dict[str, Any] = field(default_factory=dict)
    server: str | None = None
    _spark: Spark | None = None
    _client: SparkClient | None = None

    @property
    def settings(self) -> Settings:
        # `--home` is $SPARK_HOME for this command: its config.toml is the one read.
        return Settings.load(**self.overrides)

    @property
    def spark(self) -> SparkApi:
        """The verbs: the remote server's (``--server``) or the local store's, as its operator."""
        if self.server is not None:
            return self.client
        from spark_memory.models import LOCAL_PRINCIPAL
        from spark_memory.service.verbs import BoundSpark

        return BoundSpark(self.local, LOCAL_PRINCIPAL)

    @property
    def served(self) -> Served | None:
        """The `spark serve` published in this home, to answer through (not with --server)."""
        if self.server is not None:
            return None
        from spark_memory.cli.served import find_server

        return find_server(self.settings.home, os.environ)

    def through_server(self, call: Callable[[], T]) -> T | None:
        """``call()``'s answer, or None when the server did not answer: use the local store."""
        from spark_memory.cli.served import Unreachable

        try:
            return call()
        except Unreachable:
            return None

    @property
    def local(self) -> Spark:
        if self.server is not None:
            raise click.UsageError(
                "this command works on the local store only; run it without --server"
            )
        if self._spark is None:
            from spark_memory.service import Spark

            self._spark = Spark.open(self.settings)
        return self._spark

    @property
    def client(self) -> SparkClient:
        if self.server is None:
            raise click.UsageError("this needs --server URL")
        if self._client is None:
            key = os.environ.get(API_KEY_ENV, "").strip()
            if not key:
                raise click.UsageError(f"--server needs an API key in ${API_KEY_ENV}")
            from spark_memory.http.client import SparkClient
            from spark_memory.service.sessions import local_session

            session = local_session(os.environ, Path.cwd())
            self._client = SparkClient(self.server, key, session=session)
        return self._client

    def close(self) -> None:
        if self._spark is not None:
            self._spark.close()
            self._spark = None
        if self._client is not None:
            self._client.close()
            self._client = None


pass_ctx = click.make_pass_decorator(CliContext)


def emit_json(data: Any) -> None:
    json.dump(data, sys.stdout, indent=2, default=str)
    sys.stdout.write("\n")
