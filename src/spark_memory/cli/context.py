"""What every command shares: settings, the lazily opened service, output helpers."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from typing import Any

import click

from spark_memory.config import Settings
from spark_memory.service import Spark


@dataclass
class CliContext:
    overrides: dict[str, Any] = field(default_factory=dict)
    _spark: Spark | None = None

    @property
    def settings(self) -> Settings:
        return Settings.load(**self.overrides)

    @property
    def spark(self) -> Spark:
        if self._spark is None:
            self._spark = Spark.open(self.settings)
        return self._spark

    def close(self) -> None:
        if self._spark is not None:
            self._spark.close()
            self._spark = None


pass_ctx = click.make_pass_decorator(CliContext)


def emit_json(data: Any) -> None:
    json.dump(data, sys.stdout, indent=2, default=str)
    sys.stdout.write("\n")
