"""Incremental ingest over snippets stored without a vector (e.g. `spark import --no-vectors`).

The store lists such rows with an empty hash, so ingest embeds them like changed ones
and deletes them like any other when they vanished from the source.
"""

from __future__ import annotations

from spark_memory.knowledge.ingest import ingest
from spark_memory.models import Snippet, SnippetKind
from spark_memory.providers.hash_embedder import HashEmbedder
from spark_memory.store.protocol import Store


def snippet(symbol: str) -> Snippet:
    return Snippet.build(
        library="numpy",
        version="1.26.4",
        symbol=symbol,
        kind=SnippetKind.API,
        title=symbol,
        text="doc",
    )


def test_rows_without_vectors_are_embedded_or_deleted(store: Store) -> None:
    kept, gone = snippet("numpy.kept"), snippet("numpy.gone")
    store.upsert_snippets([kept, gone], None, None)
    report = ingest([kept], store, HashEmbedder(32))
    assert (report.embedded, report.updated, report.deleted) == (1, 1, 1)
    assert store.snippet_hashes("numpy", "1.26.4") == {kept.id: kept.content_hash}
    again = ingest([kept], store, HashEmbedder(32))
    assert (again.embedded, again.unchanged) == (0, 1)
