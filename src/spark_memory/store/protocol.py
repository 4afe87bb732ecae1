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
from typing import Protocol

from spark_memory.models import (
    Agent,
    ApiKey,
    ChannelHit,
    DocType,
    Feedback,
    Insight,
    Org,
    Principal,
    SearchFilters,
    Snippet,
    Trace,
    Vectors,
)


@dataclass(frozen=True)
class EmbeddingSpace:
    model: str
    dim: int


@dataclass(frozen=True)
class WriteResult:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0


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

    # --- snippets ------------------------------------------------------------------
    def upsert_snippets(
        self, snippets: Sequence[Snippet], vectors: Vectors | None, space: EmbeddingSpace | None
    ) -> WriteResult:
        """Insert or update by id. ``vectors`` rows align with ``snippets``."""
        ...

    def snippet_hashes(self, library: str, version: str) -> dict[str, str]:
        """id -> content hash of what is stored for one library version."""
        ...

    def get_snippet(self, snippet_id: str) -> Snippet: ...

    def get_snippets(self, snippet_ids: Sequence[str]) -> dict[str, Snippet]: ...

    def delete_snippets(
        self, library: str, version: str | None = None, ids: Sequence[str] | None = None
    ) -> WriteResult: ...

    def library_stats(self) -> list[LibraryStat]: ...

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

    # --- idempotency and audit -----------------------------------------------------------
    def recall_idempotent(self, org_id: str, key: str) -> str | None:
        """The result id stored for an idempotency key, or None."""
        ...

    def remember_idempotent(self, org_id: str, key: str, result_id: str) -> None: ...

    def audit(self, entry: AuditEntry) -> None: ...

    def audit_log(self, org_id: str, limit: int = 100) -> list[AuditEntry]: ...
