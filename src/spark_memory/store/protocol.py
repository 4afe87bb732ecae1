"""The store contract every backend implements (SQLite now, PostgreSQL later).

Rules every backend keeps:
- A write method returns only after its transaction committed.
- Every write is idempotent: snippets by deterministic id + content hash, other
  records by id, requests by an idempotency key.
- Visibility (scopes, org isolation, quarantine) is decided inside the store's
  queries through the ``Principal`` argument, never filtered by callers.
- Vectors carry the model that made them; a vector of another model or dimension
  than the store's is refused with ``EmbeddingMismatch``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

from spark_memory.errors import InvalidInput
from spark_memory.models import (
    Agent,
    ApiKey,
    ChannelHit,
    DocType,
    Feedback,
    Insight,
    InsightStatus,
    Org,
    Principal,
    SearchFilters,
    Snippet,
    Trace,
    Vectors,
)
from spark_memory.results import (  # defined there; importable from here too
    AuditEntry as AuditEntry,
)
from spark_memory.results import (
    EmbeddingSpace as EmbeddingSpace,
)
from spark_memory.results import (
    EpochEvent as EpochEvent,
)
from spark_memory.results import (
    EpochRecord as EpochRecord,
)
from spark_memory.results import (
    LibraryStat as LibraryStat,
)

# The tables `record_counts` counts, by what a person calls them.
RECORD_TABLES = ("insights", "traces", "feedback", "agents")


@dataclass(frozen=True)
class IdempotentWrite:
    """A write remembered under an idempotency key (the service scopes the key to the
    org, agent and verb and stores only its hash) and the hash of the request's body."""

    result_id: str
    request_hash: str = ""  # '' for writes remembered before request hashes were kept


@dataclass(frozen=True)
class WriteResult:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0


# --- learning loop records --------------------------------------------------------------


class TraceState(StrEnum):
    """What a curation epoch did with a trace. Traces without a state are pending."""

    USED = "used"  # generalised into (or merged with) an insight
    REJECTED = "rejected"  # filtered out for good (unsafe, nothing to learn, ...)
    DEFERRED = "deferred"  # too little evidence yet; offered again to later epochs
    EXPIRED = "expired"  # deferred for too long; no longer offered


class LinkKind(StrEnum):
    MERGED = "merged"  # source was folded into target as an endorsement (reversible)
    ENDORSES = "endorses"  # source (another org's near-duplicate) endorses target
    PROMOTED = "promoted"  # source is a member of the family promoted to target (public)


@dataclass(frozen=True)
class InsightLink:
    """A reversible relation between two insights, written by curation."""

    id: str
    kind: LinkKind
    source_id: str
    target_id: str
    org_id: str  # the org whose contribution the link records (source's owner)
    epoch_id: str
    created: datetime
    active: bool = True
    snapshot: str = ""  # JSON of the source insight as it was, so a merge can be undone


@dataclass(frozen=True)
class ErasedRecords:
    traces: int = 0
    feedback: int = 0
    audit: int = 0
    idempotency: int = 0
    links: int = 0


# --- jobs ---------------------------------------------------------------------------------


class JobState(StrEnum):
    QUEUED = "queued"  # waiting (again, after a failed attempt) for a worker
    RUNNING = "running"  # leased to a worker until ``lease_expires``
    DONE = "done"  # completed; the result is recorded once
    FAILED = "failed"  # attempts exhausted; ``error`` says why


@dataclass(frozen=True)
class JobSpec:
    """A job to queue. ``lane``: jobs of one lane run one at a time (whatever their
    kind), and while a job of that lane and kind is queued, queueing another returns the
    queued one (coalescing: ten replicas asking for a curation epoch queue one).
    """

    id: str
    kind: str  # e.g. curation, reembed
    payload: dict[str, Any] = field(default_factory=dict)
    lane: str = ""  # "" for none: runs beside anything
    max_attempts: int = 3

    def __post_init__(self) -> None:
        # Refused here, before any backend writes a job no worker could run.
        if not self.id or not self.kind:
            raise InvalidInput("a job needs an id and a kind")
        if self.max_attempts < 1:
            raise InvalidInput(f"max_attempts must be at least 1, not {self.max_attempts}")


@dataclass(frozen=True)
class Job:
    id: str
    kind: str
    payload: dict[str, Any]
    lane: str
    state: JobState
    attempts: int  # leases granted so far, the current one included
    max_attempts: int
    created: datetime
    lease_owner: str = ""  # the worker holding (or last holding) the lease
    lease_token: str = ""  # proves a worker still holds the lease it was given
    lease_expires: datetime | None = None
    finished: datetime | None = None
    result: dict[str, Any] = field(default_factory=dict)
    error: str = ""


class Store(Protocol):
    # --- lifecycle and embedding space ---------------------------------------------
    def close(self) -> None: ...

    def embedding_space(self) -> EmbeddingSpace | None:
        """The model and dimension of stored vectors, None while no vector exists."""
        ...

    def reset_embedding_space(self, space: EmbeddingSpace) -> None:
        """Drop every stored vector and adopt a new space (the re-embed command)."""
        ...

    def check_integrity(self) -> list[str]:
        """Problems found by the backend's own integrity check; empty when healthy."""
        ...

    def refresh_statistics(self) -> None:
        """After a bulk load (import, ingest): let the query planner see the new data.

        PostgreSQL's lexical ranking reads word frequencies from the planner's statistics;
        until ANALYZE runs every word counts as rare and searches rank every match.
        """
        ...

    # --- snippets ------------------------------------------------------------------
    def upsert_snippets(
        self, snippets: Sequence[Snippet], vectors: Vectors | None, space: EmbeddingSpace | None
    ) -> WriteResult:
        """Insert or update by id. ``vectors`` rows align with ``snippets``."""
        ...

    def snippet_hashes(self, library: str, version: str) -> dict[str, str]:
        """id -> content hash of every snippet stored for one library version; "" for a
        snippet stored without a vector, so incremental ingest re-embeds it (its hash
        never matches) and deletes it when it vanished from the source."""
        ...

    def get_snippet(self, snippet_id: str) -> Snippet: ...

    def get_snippets(self, snippet_ids: Sequence[str]) -> dict[str, Snippet]: ...

    def delete_snippets(
        self, library: str, version: str | None = None, ids: Sequence[str] | None = None
    ) -> WriteResult: ...

    def library_stats(self) -> list[LibraryStat]: ...

    def record_counts(self, org_id: str | None) -> dict[str, int]:
        """How many insights, traces, feedback votes and agents ``org_id`` owns (None: all)."""
        ...

    def iter_snippets(self, batch: int = 512) -> Iterator[list[Snippet]]:
        """Every snippet, in batches (for re-embedding and export)."""
        ...

    def set_vectors(
        self, doc_type: DocType, ids: Sequence[str], vectors: Vectors, space: EmbeddingSpace
    ) -> None: ...

    # --- search channels -------------------------------------------------------------
    def lexical_search(
        self,
        query: str,
        doc_type: DocType,
        filters: SearchFilters,
        principal: Principal,
        k: int,
    ) -> list[ChannelHit]: ...

    def vector_search(
        self,
        vector: Vectors,
        doc_type: DocType,
        filters: SearchFilters,
        principal: Principal,
        k: int,
    ) -> list[ChannelHit]: ...

    # --- insights ----------------------------------------------------------------------
    def put_insight(
        self, insight: Insight, vector: Vectors | None, space: EmbeddingSpace | None
    ) -> WriteResult: ...

    def get_insight(self, insight_id: str, principal: Principal) -> Insight:
        """Raises NotFound when absent *or not visible* to the principal."""
        ...

    def get_insights(
        self, insight_ids: Sequence[str], principal: Principal
    ) -> dict[str, Insight]: ...

    def list_insights(
        self, principal: Principal, filters: SearchFilters, limit: int = 100
    ) -> list[Insight]: ...

    # --- traces and feedback ---------------------------------------------------------
    def add_trace(self, trace: Trace) -> WriteResult: ...

    def get_trace(self, trace_id: str, principal: Principal) -> Trace: ...

    def list_traces(
        self, org_id: str, since: datetime | None = None, limit: int = 1000
    ) -> list[Trace]: ...

    def add_feedback(self, feedback: Feedback) -> WriteResult: ...

    def list_feedback(self, target_id: str) -> list[Feedback]: ...

    # --- tenancy -------------------------------------------------------------------------
    def put_org(self, org: Org) -> WriteResult: ...

    def put_agent(self, agent: Agent) -> WriteResult: ...

    def get_agent(self, agent_id: str) -> Agent: ...

    def put_api_key(self, key: ApiKey) -> WriteResult: ...

    def find_api_key(self, key_hash: str) -> ApiKey | None: ...

    def revoke_api_key(self, key_id: str) -> WriteResult: ...

    # --- rates ------------------------------------------------------------------------------
    # True when every process and host using this store sees the same data (PostgreSQL):
    # the HTTP server then keeps its per-org rate buckets here instead of in memory.
    shares_rates: bool

    def spend_rate(self, org_id: str, cost: float, rate: float, burst: float) -> float:
        """Spend ``cost`` units of ``org_id``'s token bucket (``rate`` units per second,
        at most ``burst`` banked): 0.0 when spent, else the seconds until it could be."""
        ...

    def charge_rate(self, org_id: str, cost: float, rate: float, burst: float) -> None:
        """Take ``cost`` units from ``org_id``'s bucket whatever it holds (work already
        done, such as a request's measured CPU time): the bucket may go below zero, and
        ``spend_rate`` refuses until it has refilled."""
        ...

    # --- idempotency and audit -----------------------------------------------------------
    def recall_idempotent(self, org_id: str, key: str) -> IdempotentWrite | None:
        """What was stored under an idempotency key, or None."""
        ...

    def remember_idempotent(
        self, org_id: str, key: str, result_id: str, request_hash: str = ""
    ) -> None:
        """Record a write once; a key already recorded keeps its first result."""
        ...

    def audit(self, entry: AuditEntry) -> None: ...

    def audit_log(self, org_id: str, limit: int = 100) -> list[AuditEntry]: ...

    # --- learning loop ---------------------------------------------------------------------
    # The methods named ``unscoped_*`` and the trace queue ignore tenancy: they serve the
    # curation worker (which must see every org's experience to cluster it) and erasure.
    # No request path may hand their results to a caller without its own scope check.
    def pending_traces(self, limit: int = 1000) -> list[Trace]:
        """Traces of every org with no state or DEFERRED, oldest first."""
        ...

    def mark_traces(self, trace_ids: Sequence[str], epoch_id: str, state: TraceState) -> None: ...

    def delete_trace(self, trace_id: str, org_id: str) -> WriteResult:
        """Delete one trace of ``org_id`` (and its curation state); deleted=0 if absent."""
        ...

    def delete_feedback(self, feedback_id: str, org_id: str) -> WriteResult: ...

    def delete_insight(self, insight_id: str) -> WriteResult:
        """Delete an insight with its search entries and vector; deleted=0 if absent."""
        ...

    def feedback_targets(self) -> list[str]:
        """Ids that have any feedback (insights and snippets), for trust recomputation."""
        ...

    def unscoped_insights(self, insight_ids: Sequence[str]) -> dict[str, Insight]: ...

    def unscoped_insights_of(self, org_id: str) -> list[Insight]:
        """Every insight owned by ``org_id``, any scope or status."""
        ...

    def unscoped_insights_since(self, since: datetime | None, limit: int = 10_000) -> list[Insight]:
        """Insights of every org written (created or updated) after ``since``, oldest first."""
        ...

    def unscoped_vector_search(
        self, vector: Vectors, k: int, statuses: Sequence[InsightStatus]
    ) -> list[ChannelHit]:
        """Nearest insights of every org and scope with one of ``statuses``."""
        ...

    def put_link(self, link: InsightLink) -> WriteResult:
        """Insert or replace by id (replacing is how a link is deactivated)."""
        ...

    def links_of(self, insight_ids: Sequence[str]) -> list[InsightLink]:
        """Links, active or not, whose source or target is one of ``insight_ids``."""
        ...

    def put_epoch(self, epoch: EpochRecord) -> WriteResult: ...

    def list_epochs(self, limit: int = 20) -> list[EpochRecord]:
        """Most recent first."""
        ...

    def audit_entry(self, org_id: str, seq: int) -> AuditEntry:
        """One audit entry of ``org_id``; NotFound for another org's."""
        ...

    def erase_records(self, org_id: str, agent_id: str | None) -> ErasedRecords:
        """Delete the traces, feedback, audit entries and links of an org or one of its
        agents (idempotency keys too for a whole org). Insights are the caller's job:
        their removal has consequences (families, public copies) decided above the store.
        """
        ...

    # --- named leases ------------------------------------------------------------------------
    def acquire_lock(self, name: str, holder: str, lease_seconds: float) -> bool:
        """Take or renew the lease ``name`` for ``holder``: True if it is now held by
        ``holder`` (it was free, expired, or already ``holder``'s), False if another holds it.
        """
        ...

    def release_lock(self, name: str, holder: str) -> None:
        """Give the lease back (a no-op unless ``holder`` holds it)."""
        ...

    # --- jobs --------------------------------------------------------------------------------
    # A queue of background work (curation epochs, re-embedding) shared by every worker
    # process. A claim leases one job to one worker: no two workers hold the same job. A
    # worker renews its lease while it works; a job whose lease expired (its worker died)
    # is claimed again, until ``max_attempts`` leases were granted, then it fails. Lease
    # times are the store's clock (the database server's for PostgreSQL), so workers on
    # several machines need no synchronised clocks.
    def enqueue_job(self, spec: JobSpec) -> Job:
        """Queue a job and return it. Idempotent by id: the same id again returns the
        stored job. With a lane that already has a queued job of this kind, returns that
        job instead.
        """
        ...

    def claim_job(self, worker: str, kinds: Sequence[str], lease_seconds: float) -> Job | None:
        """Lease the oldest claimable job of ``kinds`` (empty: any) to ``worker``: queued,
        or running with an expired lease; never a job of a lane where another job is
        running. None when there is nothing to do. The job carries a fresh ``lease_token``.
        """
        ...

    def renew_lease(self, job_id: str, token: str, lease_seconds: float) -> bool:
        """Extend the lease from now; False when the token no longer holds the job."""
        ...

    def complete_job(self, job_id: str, token: str, result: dict[str, Any]) -> bool:
        """Record the job as done with ``result``, once. True when this lease completed
        it (now or in an earlier call with the same token: a retried completion changes
        nothing); False when the lease was lost to another worker, whose result counts.
        """
        ...

    def fail_job(
        self, job_id: str, token: str, error: str, retry_in: float = 0.0
    ) -> JobState | None:
        """Give up this attempt: queued again after ``retry_in`` seconds while attempts
        remain, else FAILED. The resulting state, or None when the lease was lost.
        """
        ...

    def get_job(self, job_id: str) -> Job:
        """One job; NotFound when absent."""
        ...

    def list_jobs(
        self, states: Sequence[JobState] = (), kinds: Sequence[str] = (), limit: int = 100
    ) -> list[Job]:
        """Jobs with one of ``states`` and ``kinds`` (empty: any), oldest first."""
        ...
