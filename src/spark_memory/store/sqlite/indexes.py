"""Keeping a process's in-memory vector indexes in step with the database.

Any process may write (the server, `spark kb ingest`, a test); every write transaction
bumps the store-wide ``seq``. Before a vector search, an index whose seq is behind
reads only the rows and tombstones written since, so a write acknowledged by another
process is searchable by the next query here.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import numpy as np

from spark_memory.models import DocType
from spark_memory.store.sqlite import records
from spark_memory.store.sqlite.vector_index import VectorIndex

# Save the index beside the database once this many rows changed since the last save,
# so short-lived processes load it instead of rebuilding.
_SAVE_AFTER = 2_000
_TABLES = {DocType.SNIPPET: "snippets", DocType.INSIGHT: "insights"}


class SyncedIndex:
    def __init__(self, doc_type: DocType, folder: Path | None, ann_threshold: int) -> None:
        self.doc_type = doc_type
        self._table = _TABLES[doc_type]
        self._folder = folder
        self._ann_threshold = ann_threshold
        self._index: VectorIndex | None = None
        self._space = ""
        self._seq = -1
        self._unsaved = 0
        self._lock = threading.Lock()

    def current(self, conn: sqlite3.Connection) -> VectorIndex | None:
        """The index as of the database's latest commit; None while no vector exists."""
        seq = records.read_seq(conn)
        with self._lock:
            if seq != self._seq:
                self._sync(conn, seq)
            return self._index

    def _sync(self, conn: sqlite3.Connection, seq: int) -> None:
        space = records.get_space(conn)
        if space is None:
            self._index, self._seq = None, seq
            return
        tag = f"{space.model}:{space.dim}"
        if self._index is None or tag != self._space:
            self._index, self._seq = self._load_or_empty(space.dim, tag)
            self._space = tag
        changed = self._apply_changes(conn, self._index)
        self._seq = seq
        self._unsaved += changed
        if self._unsaved >= _SAVE_AFTER and self._folder is not None:
            self._index.search(np.zeros(self._index.dim, dtype=np.float32), 1)  # builds HNSW
            self._index.save(self._folder, {"seq": seq, "space": tag})
            self._unsaved = 0

    def _load_or_empty(self, dim: int, tag: str) -> tuple[VectorIndex, int]:
        if self._folder is not None:
            loaded = VectorIndex.load(self._folder, dim, self._ann_threshold)
            if loaded is not None and loaded[1].get("space") == tag:
                stamp_seq = loaded[1].get("seq")
                if isinstance(stamp_seq, int):
                    return loaded[0], stamp_seq
        return VectorIndex(dim, self._ann_threshold), -1

    def _apply_changes(self, conn: sqlite3.Connection, index: VectorIndex) -> int:
        since = self._seq
        gone = [
            r
            for (r,) in conn.execute(
                "SELECT row FROM tombstones WHERE doc_type = ? AND seq > ?",
                (self.doc_type.value, since),
            )
        ]
        if gone:
            index.remove(np.asarray(gone, dtype=np.int64))
        cursor = conn.execute(
            f"SELECT row, embedding FROM {self._table} WHERE seq > ? AND embedding IS NOT NULL",
            (since,),
        )
        changed = len(gone)
        while batch := cursor.fetchmany(4096):
            keys = np.fromiter((r for r, _ in batch), dtype=np.int64, count=len(batch))
            vectors = np.vstack([records.unblob(b) for _, b in batch])
            index.upsert(keys, vectors)
            changed += len(batch)
        return changed
