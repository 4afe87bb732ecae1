"""Response bodies of the HTTP API: the service's records as the OpenAPI document shows them.

The requests are in ``spark_memory.requests`` (shared with the client and MCP). The
domain models (SearchHit, Insight, Snippet, Recommendation) are returned as they are;
the service's dataclasses get a model here.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from spark_memory.models import (
    InsightStatus,
    Role,
    SearchHit,
)


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- agent verbs --------------------------------------------------------------------------


class SearchOut(_Out):
    hits: list[SearchHit]
    note: str = Field(
        default="", description="when nothing was found: what was searched and how to fill it"
    )


class ReceiptOut(_Out):
    id: str
    status: str  # created | unchanged | updated | reverted
    message: str = ""
    redactions: list[dict[str, Any]] = Field(default_factory=list)
    insight_status: InsightStatus | None = None


class RunOut(_Out):
    trace: ReceiptOut
    served_ids: list[str]
    feedback_ids: list[str]


# --- knowledge base and admin --------------------------------------------------------------


class LibraryOut(_Out):
    library: str
    version: str
    snippets: int
    by_kind: dict[str, int] = Field(default_factory=dict)


class KbBuildOut(_Out):
    """The background build of the default knowledge base (`spark serve`'s first run)."""

    state: str  # building | done | failed | interrupted
    libraries: list[str]
    done: list[str] = Field(default_factory=list)
    library: str = ""
    library_written: int = 0
    library_total: int = 0
    written: int = 0
    rate: float = 0.0  # snippets embedded per second
    started: float = 0.0
    updated: float = 0.0
    pid: int = 0
    problems: list[str] = Field(default_factory=list)


class StatsOut(_Out):
    embedding: dict[str, Any] | None
    snippets: int
    libraries: list[LibraryOut]
    records: dict[str, int] = Field(
        default_factory=dict, description="insights, traces, feedback, agents of your org"
    )
    kb_build: KbBuildOut | None = None


class EpochEventOut(_Out):
    action: str
    target_id: str
    org_id: str
    reason: str = ""


class EpochOut(_Out):
    id: str
    started: datetime
    finished: datetime
    counts: dict[str, int]
    events: list[EpochEventOut]


class AuditOut(_Out):
    seq: int
    at: datetime
    org_id: str
    agent_id: str
    action: str
    target_id: str
    detail: str = ""


class KeyOut(_Out):
    id: str
    secret: str
    org_id: str
    agent_id: str
    role: Role


class Health(_Out):
    status: Literal["ok", "unavailable"] = "ok"
    version: str
    detail: str = ""  # why the store cannot take writes, when unavailable
