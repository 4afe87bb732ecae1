"""The Memories page's filters, read from the query string; a bad value is a 422 page."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import TypeVar

from spark_memory.errors import InvalidInput
from spark_memory.models import InsightKind, InsightStatus, Scope
from spark_memory.service.console_reads import MemoryFilter

E = TypeVar("E", bound=StrEnum)


def memory_filter(params: Mapping[str, str]) -> MemoryFilter:
    return MemoryFilter(
        scope=_choice(params, "scope", Scope),
        status=_choice(params, "status", InsightStatus),
        kind=_choice(params, "kind", InsightKind),
        library=params.get("library", "").strip()[:64],
        min_trust=_number(params, "min_trust", 0.0, 1.0),
        max_age_days=_number(params, "age", 0.0, 100_000.0),
        limit=int(_number(params, "limit", 1, 500) or 50),
    )


def _choice(params: Mapping[str, str], name: str, enum: type[E]) -> E | None:
    raw = params.get(name, "")
    if not raw:
        return None
    try:
        return enum(raw)
    except ValueError as exc:
        choices = ", ".join(e.value for e in enum)
        raise InvalidInput(f"{name} must be one of {choices}; got {raw[:40]!r}") from exc


def _number(params: Mapping[str, str], name: str, low: float, high: float) -> float | None:
    raw = params.get(name, "").strip()
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError as exc:
        raise InvalidInput(f"{name} must be a number; got {raw[:40]!r}") from exc
    if not low <= value <= high:
        raise InvalidInput(f"{name} must be between {low:g} and {high:g}; got {value:g}")
    return value
