"""What the service returns to its callers, as plain records: one definition each.

They live beside ``models.py``, below every layer, so the Python client returns the
same types as the in-process façade without importing the service, the store or the
learning loop. The modules that produce them (``store.protocol``, ``learning``,
``service``) import them from here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from spark_memory.models import InsightStatus, Outcome, Role


@dataclass(frozen=True)
class EmbeddingSpace:
    model: str
    dim: int


@dataclass(frozen=True)
class LibraryStat:
    library: str
    version: str
    snippets: int
    by_kind: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class AuditEntry:
    seq: int
    at: datetime
    org_id: str
    agent_id: str
    action: str  # e.g. insight.create, trace.record, feedback.share
    target_id: str
    detail: str = ""


@dataclass(frozen=True)
class EpochEvent:
    action: str  # created, merged, rejected, deferred, promoted, released, demoted, ...
    target_id: str  # the insight or trace concerned
    org_id: str  # whose data it concerns; "" for store-wide events
    reason: str = ""


@dataclass(frozen=True)
class EpochRecord:
    """The log of one curation epoch: what it created, merged, rejected, and why."""

    id: str
    started: datetime
    finished: datetime
    counts: dict[str, int] = field(default_factory=dict)
    events: tuple[EpochEvent, ...] = ()


@dataclass(frozen=True)
class StoreStats:
    location: str
    embedding: EmbeddingSpace | None
    libraries: list[LibraryStat]
    # insights, traces, feedback, agents: the caller's org's (all of them for the operator)
    records: dict[str, int] = field(default_factory=dict)
    kb_build: dict[str, Any] | None = None  # the background build of the default KB, if any

    @property
    def snippets(self) -> int:
        return sum(s.snippets for s in self.libraries)

    def as_dict(self) -> dict[str, Any]:
        return {
            "location": self.location,
            "embedding": None if self.embedding is None else vars(self.embedding),
            "snippets": self.snippets,
            "libraries": [vars(s) for s in self.libraries],
            "records": self.records,
            "kb_build": self.kb_build,
        }

    def empty_note(self) -> str:
        """Why a search found nothing when the knowledge base is empty or still being
        built: what was searched, and what fills it ("" when it holds snippets)."""
        build = self.kb_build or {}
        if build.get("state") == "building":
            now = f"{build['library']} {build['library_written']}/{build['library_total']}"
            ready = ", ".join(build["done"]) or "nothing yet"
            return (
                f"The knowledge base at {self.location} is still being built ({now} snippets);"
                f" searchable now: {ready}. Ask again in a minute."
            )
        if self.snippets:
            return ""
        return (
            f"The knowledge base at {self.location} is empty, so no documentation was searched."
            " Fill it with `spark kb ingest` (the installed numpy, pandas, scipy, scikit-learn"
            " and matplotlib) or `spark kb ingest --docs PATH --library NAME`; a first"
            " `spark serve` builds it by itself."
        )


@dataclass(frozen=True)
class Finding:
    """One secret in one field: what it looks like and where it is."""

    kind: str  # e.g. "AWS Access Key" (detect-secrets) or "GitHub personal access token"
    detector: str  # "detect-secrets" or "gitleaks:<rule id>"
    field: str
    line: int  # 1-based, within the field
    start: int  # character offsets of the secret within the field's text
    end: int

    def describe(self) -> str:
        return f"{self.kind} in {self.field} line {self.line}"


@dataclass(frozen=True)
class WriteReceipt:
    """What a write did: the id it stored under and anything the caller must know."""

    id: str
    status: str  # created | unchanged | updated | reverted
    message: str = ""
    redactions: tuple[Finding, ...] = field(default_factory=tuple)
    insight_status: InsightStatus | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "status": self.status,
            "message": self.message,
            "redactions": [vars(f) for f in self.redactions],
            "insight_status": self.insight_status.value if self.insight_status else None,
        }


@dataclass(frozen=True)
class EraseReport:
    org_id: str
    agent_id: str | None
    traces: int
    feedback: int
    insights_deleted: int
    insights_rewritten: int
    public_rebuilt: int
    public_demoted: int
    audit_entries: int


@dataclass(frozen=True)
class NewKey:
    """A freshly created key. ``secret`` exists only here: it is never stored."""

    id: str
    secret: str
    org_id: str
    agent_id: str
    role: Role

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "secret": self.secret,
            "org_id": self.org_id,
            "agent_id": self.agent_id,
            "role": self.role.value,
        }


@dataclass(frozen=True)
class RunOutcome:
    """What `spark run` observed: the command, how it ended, and what it printed."""

    command: str
    exit_code: int
    outcome: Outcome
    duration_s: float
    failing_tests: list[str] = field(default_factory=list)
    error: str = ""
    test_output: str = ""
    environment: dict[str, str] = field(default_factory=dict)
    task: str = ""


@dataclass(frozen=True)
class RunReport:
    trace: WriteReceipt
    served_ids: list[str]
    feedback_ids: list[str]

    def as_dict(self) -> dict[str, Any]:
        return {
            "trace": self.trace.as_dict(),
            "served_ids": self.served_ids,
            "feedback_ids": self.feedback_ids,
        }
