"""`spark export` / `spark import`: all records of a store or of one org, as JSON Lines.

Export reads a consistent snapshot through the backend's dump reader; import writes
through the store protocol, so any backend can receive any backend's export (SQLite
on a laptop to PostgreSQL in production, and back). Every write is idempotent, so
importing the same file twice changes nothing; audit entries, which the store appends
rather than keys, are only imported into an org whose audit log is still empty.

The whole file is validated before anything is written: a damaged or truncated
export is refused with the store untouched.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TextIO

import numpy as np

from spark_memory.errors import ConfigError, EmbeddingMismatch
from spark_memory.models import Agent, ApiKey, Feedback, Insight, Org, Snippet, Trace, utcnow
from spark_memory.providers.embedder import Embedder
from spark_memory.store import dump
from spark_memory.store.protocol import (
    AuditEntry,
    EmbeddingSpace,
    EpochEvent,
    EpochRecord,
    InsightLink,
    LinkKind,
    Store,
    TraceState,
)

Progress = Callable[[int, int], None]
InsightText = Callable[[Insight], str]


@dataclass(frozen=True)
class TransferReport:
    counts: dict[str, int] = field(default_factory=dict)  # records per kind
    skipped: dict[str, int] = field(default_factory=dict)  # read but deliberately not written
    embedded: int = 0  # vectors computed on import (--reembed, or absent from the file)

    def as_dict(self) -> dict[str, Any]:
        return {"counts": self.counts, "skipped": self.skipped, "embedded": self.embedded}


# --- export -----------------------------------------------------------------------------------


def export_store(
    store: Store, out: TextIO, *, org_id: str | None = None, vectors: bool = True
) -> TransferReport:
    """Write every record of ``org_id`` (None: the whole store) to ``out``."""
    header = dump.Header(org_id, store.embedding_space(), vectors, utcnow())
    out.write(dump.header_line(header))
    counts: Counter[str] = Counter()
    for record in _reader(store)(org_id, vectors):
        out.write(dump.record_line(record))
        counts[record.kind] += 1
    out.write(dump.end_line(counts))
    return TransferReport(counts=dict(counts))


def _reader(store: Store) -> Callable[[str | None, bool], Iterator[dump.Record]]:
    # The dump readers know their backend's tables; the service picks one, as the
    # façade picks the store itself.
    from spark_memory.store.sqlite import SqliteStore

    if isinstance(store, SqliteStore):
        from spark_memory.store.sqlite.dump import iter_records as sqlite_records

        return lambda org, vectors: sqlite_records(store, org, vectors)
    if type(store).__module__.startswith("spark_memory.store.postgres"):
        # Only now import the PostgreSQL backend: its driver is optional.
        from spark_memory.store.postgres import PostgresStore
        from spark_memory.store.postgres.dump import iter_records as pg_records

        if isinstance(store, PostgresStore):
            return lambda org, vectors: pg_records(store, org, vectors)
    raise ConfigError(f"cannot export from a {type(store).__name__}")


# --- import -----------------------------------------------------------------------------------


def import_store(
    store: Store,
    open_lines: Callable[[], Iterable[str]],
    *,
    embedder: Embedder | None = None,
    insight_text: InsightText | None = None,
    progress: Progress | None = None,
) -> TransferReport:
    """Import an export; with ``embedder``, vectors are recomputed instead of copied.

    ``insight_text`` is what the learning loop embeds for an insight; re-embedding
    needs it (an insight without it keeps no vector until curation embeds it again).
    ``open_lines`` is called twice: once to validate the whole file, once to import.
    """
    total = _validate(open_lines)
    header, records = dump.parse(iter(open_lines()))
    _check_space(store, header, embedder)
    writer = _Importer(store, header, embedder, insight_text)
    for done, record in enumerate(records, 1):
        writer.add(record)
        if progress is not None and done % 200 == 0:
            progress(done, total)
    writer.finish()
    store.refresh_statistics()
    if progress is not None:
        progress(total, total)
    return TransferReport(dict(writer.counts), dict(writer.skipped), writer.embedded)


def _validate(open_lines: Callable[[], Iterable[str]]) -> int:
    """Read the whole export once (InvalidInput if damaged); the number of records."""
    _, records = dump.parse(iter(open_lines()))
    return sum(1 for _ in records)


def _check_space(store: Store, header: dump.Header, embedder: Embedder | None) -> None:
    """Refuse, before writing anything, vectors the store would refuse halfway through."""
    stored = store.embedding_space()
    incoming: EmbeddingSpace | None
    if embedder is not None:
        incoming, advice = _space_of(embedder), "run `spark reembed` first"
    else:
        incoming = header.space if header.vectors else None
        advice = "import with --reembed to embed them with the configured model"
    if incoming is not None and stored is not None and stored != incoming:
        raise EmbeddingMismatch(
            f"the imported vectors would be {incoming.model} ({incoming.dim} dims) but this"
            f" store holds {stored.model} ({stored.dim} dims); {advice}"
        )


class _Importer:
    _BATCH = 256

    def __init__(
        self,
        store: Store,
        header: dump.Header,
        embedder: Embedder | None,
        insight_text: InsightText | None,
    ) -> None:
        self.store = store
        self.embedder = embedder
        self.insight_text = insight_text
        self.space = header.space if embedder is None else _space_of(embedder)
        self.counts: Counter[str] = Counter()
        self.skipped: Counter[str] = Counter()
        self.embedded = 0
        self._snippets: list[tuple[Snippet, Any]] = []
        self._states: dict[tuple[str, str], list[str]] = {}
        self._audit_open: dict[str, bool] = {}

    def add(self, record: dump.Record) -> None:
        self.counts[record.kind] += 1
        if record.kind == "snippet":
            self._snippets.append((Snippet.model_validate(record.data), record.vector))
            if len(self._snippets) >= self._BATCH:
                self._flush_snippets()
            return
        self._flush_snippets()
        getattr(self, f"_put_{record.kind}")(record)

    def finish(self) -> None:
        self._flush_snippets()
        for (epoch_id, state), ids in self._states.items():
            self.store.mark_traces(ids, epoch_id, TraceState(state))

    # --- per kind -------------------------------------------------------------------------
    def _put_org(self, record: dump.Record) -> None:
        self.store.put_org(Org.model_validate(record.data))

    def _put_agent(self, record: dump.Record) -> None:
        self.store.put_agent(Agent.model_validate(record.data))

    def _put_api_key(self, record: dump.Record) -> None:
        self.store.put_api_key(ApiKey.model_validate(record.data))

    def _put_insight(self, record: dump.Record) -> None:
        insight = Insight.model_validate(record.data)
        vector = record.vector if self.embedder is None else None
        if self.embedder is not None and self.insight_text is not None:
            vector = self.embedder.embed([self.insight_text(insight)])[0]
            self.embedded += 1
        self.store.put_insight(insight, vector, None if vector is None else self.space)

    def _put_trace(self, record: dump.Record) -> None:
        trace = Trace.model_validate(record.data)
        self.store.add_trace(trace)
        state = record.extra.get("state")
        if state:  # written after all traces, grouped: one call per epoch and state
            self._states.setdefault((state["epoch_id"], state["state"]), []).append(trace.id)

    def _put_feedback(self, record: dump.Record) -> None:
        self.store.add_feedback(Feedback.model_validate(record.data))

    def _put_link(self, record: dump.Record) -> None:
        d = record.data
        self.store.put_link(
            InsightLink(
                id=d["id"],
                kind=LinkKind(d["kind"]),
                source_id=d["source_id"],
                target_id=d["target_id"],
                org_id=d["org_id"],
                epoch_id=d["epoch_id"],
                created=datetime.fromisoformat(d["created"]),
                active=bool(d["active"]),
                snapshot=d["snapshot"],
            )
        )

    def _put_epoch(self, record: dump.Record) -> None:
        d = record.data
        events = tuple(EpochEvent(**e) for e in d["events"])
        started, finished = (
            datetime.fromisoformat(d["started"]),
            datetime.fromisoformat(d["finished"]),
        )
        self.store.put_epoch(EpochRecord(d["id"], started, finished, dict(d["counts"]), events))

    def _put_idempotency(self, record: dump.Record) -> None:
        d = record.data
        self.store.remember_idempotent(
            d["org_id"], d["key"], d["result_id"], d.get("request_hash", "")
        )

    def _put_audit(self, record: dump.Record) -> None:
        d = record.data
        org = d["org_id"]
        if org not in self._audit_open:  # decided once, before this import wrote any
            self._audit_open[org] = not self.store.audit_log(org, limit=1)
        if not self._audit_open[org]:
            self.skipped["audit"] += 1
            return
        at = datetime.fromisoformat(d["at"])
        self.store.audit(
            AuditEntry(0, at, org, d["agent_id"], d["action"], d["target_id"], d["detail"])
        )

    # --- snippets, in batches -----------------------------------------------------------------
    def _flush_snippets(self) -> None:
        if not self._snippets:
            return
        batch, self._snippets = self._snippets, []
        if self.embedder is not None:
            vectors = self.embedder.embed([s.embed_text for s, _ in batch])
            self.embedded += len(batch)
            self.store.upsert_snippets([s for s, _ in batch], vectors, self.space)
            return
        with_vectors = [(s, v) for s, v in batch if v is not None]
        without = [s for s, v in batch if v is None]
        if with_vectors:
            matrix = np.vstack([v for _, v in with_vectors]).astype(np.float32)
            self.store.upsert_snippets([s for s, _ in with_vectors], matrix, self.space)
        if without:
            self.store.upsert_snippets(without, None, None)


def _space_of(embedder: Embedder) -> EmbeddingSpace:
    return EmbeddingSpace(embedder.model_name, embedder.dim)
