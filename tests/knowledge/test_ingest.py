"""ingest() against the real stores (SQLite, and PostgreSQL when available)."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from spark_memory.errors import EmbeddingMismatch, InvalidInput
from spark_memory.knowledge.ingest import ingest
from spark_memory.models import Snippet, SnippetKind, Vectors
from spark_memory.providers.hash_embedder import HashEmbedder
from spark_memory.store.protocol import Store


class CountingEmbedder:
    """The test embedder, counting what it is asked to embed."""

    def __init__(self, dim: int = 64) -> None:
        self.inner = HashEmbedder(dim)
        self.texts: list[str] = []

    @property
    def model_name(self) -> str:
        return self.inner.model_name

    @property
    def dim(self) -> int:
        return self.inner.dim

    def embed(self, texts: Sequence[str]) -> Vectors:
        self.texts += texts
        return self.inner.embed(texts)

    def embed_queries(self, texts: Sequence[str]) -> Vectors:
        return self.inner.embed(texts)


def snippet(
    symbol: str, text: str = "doc", library: str = "numpy", version: str = "1.26.4"
) -> Snippet:
    return Snippet.build(
        library=library,
        version=version,
        symbol=symbol,
        kind=SnippetKind.API,
        title=symbol,
        text=text,
        embed_text=f"{symbol}: {text}",
    )


def corpus(n: int = 10) -> list[Snippet]:
    return [snippet(f"numpy.f{i}") for i in range(n)]


def test_first_ingest_embeds_and_inserts_everything(store: Store) -> None:
    embedder = CountingEmbedder()
    seen: list[tuple[int, int]] = []
    report = ingest(
        corpus(), store, embedder, progress=lambda done, total: seen.append((done, total)), batch=4
    )
    assert (report.seen, report.inserted, report.embedded, report.unchanged) == (10, 10, 10, 0)
    assert seen == [(0, 10), (4, 10), (8, 10), (10, 10)]
    assert report.versions == ["numpy==1.26.4"]
    assert len(store.snippet_hashes("numpy", "1.26.4")) == 10


def test_second_ingest_embeds_nothing(store: Store) -> None:
    ingest(corpus(), store, CountingEmbedder())
    embedder = CountingEmbedder()
    report = ingest(corpus(), store, embedder)
    assert (report.unchanged, report.written, report.deleted) == (10, 0, 0)
    assert embedder.texts == []


def test_changes_are_incremental(store: Store) -> None:
    ingest(corpus(), store, CountingEmbedder())
    changed = corpus()[1:]  # f0 vanished
    changed[0] = snippet("numpy.f1", "better doc")  # f1 changed
    changed.append(snippet("numpy.f10"))  # f10 is new
    embedder = CountingEmbedder()
    report = ingest(changed, store, embedder)
    assert (report.inserted, report.updated, report.deleted, report.unchanged) == (1, 1, 1, 8)
    assert set(embedder.texts) == {"numpy.f1: better doc", "numpy.f10: doc"}
    stored = store.snippet_hashes("numpy", "1.26.4")
    assert snippet("numpy.f0").id not in stored
    assert stored[changed[0].id] == changed[0].content_hash


def test_other_library_versions_are_left_alone(store: Store) -> None:
    ingest(corpus(3), store, CountingEmbedder())
    newer = [snippet(f"numpy.f{i}", version="2.0.0") for i in range(2)]
    report = ingest(newer, store, CountingEmbedder())
    assert report.deleted == 0
    assert len(store.snippet_hashes("numpy", "1.26.4")) == 3
    assert len(store.snippet_hashes("numpy", "2.0.0")) == 2


def test_another_embedding_model_is_refused_before_embedding(store: Store) -> None:
    ingest(corpus(2), store, CountingEmbedder(dim=64))
    other = CountingEmbedder(dim=32)
    with pytest.raises(EmbeddingMismatch):
        ingest([snippet("numpy.new")], store, other)
    assert other.texts == []


def test_same_id_with_different_content_is_invalid(store: Store) -> None:
    with pytest.raises(InvalidInput):
        ingest([snippet("numpy.f0", "a"), snippet("numpy.f0", "b")], store, CountingEmbedder())
    assert store.snippet_hashes("numpy", "1.26.4") == {}


def test_bad_batch_size(store: Store) -> None:
    with pytest.raises(InvalidInput):
        ingest(corpus(1), store, CountingEmbedder(), batch=0)
