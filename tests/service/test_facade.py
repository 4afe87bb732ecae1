"""Core façade behaviour: model changes are explicit and complete; stats never leak secrets."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import asdict, replace
from pathlib import Path

import pytest

from spark_memory.config import Settings
from spark_memory.errors import EmbeddingMismatch
from spark_memory.local_files import write_json
from spark_memory.models import LOCAL_PRINCIPAL, DocType
from spark_memory.providers.embedder import Vectors
from spark_memory.providers.hash_embedder import HashEmbedder
from spark_memory.service import Spark
from spark_memory.service.facade import _without_password
from spark_memory.service.kb_build import BuildStatus


def test_reembed_covers_insights_too(tmp_path: Path) -> None:
    settings = Settings.load(home=tmp_path, embedder="hash")
    with Spark.open(settings) as spark:
        receipt = spark.create_memory(
            "Broadcast group sums with transform",
            "df.groupby('g')['x'].transform('sum') keeps the original index.",
            query="pandas groupby sum per row",
            tags=["pandas"],
            principal=LOCAL_PRINCIPAL,
        )
    with Spark.open(settings, embedder=HashEmbedder(dim=32)) as spark:
        with pytest.raises(EmbeddingMismatch):
            spark.search("groupby sum per row", principal=LOCAL_PRINCIPAL)
        assert spark.reembed() == 1
        hits = spark.search(
            "groupby sum per row", doc_types=[DocType.INSIGHT], principal=LOCAL_PRINCIPAL
        )
        assert [h.id for h in hits] == [receipt.id]
        assert hits[0].channels["vector"].rank == 1


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql://spark:s3cret@db:5432/spark", "postgresql://spark:***@db:5432/spark"),
        ("postgresql://db/spark", "postgresql://db/spark"),
        ("", ""),
    ],
)
def test_database_urls_are_printed_without_password(url: str, shown: str) -> None:
    assert _without_password(url) == shown


class _UnreadyEmbedder(HashEmbedder):
    """An embedder whose first load has not finished: a query must not wait for it."""

    def embed_queries(self, texts: Sequence[str]) -> Vectors:
        raise AssertionError("the query was embedded")


def test_a_first_build_that_has_written_nothing_answers_without_embedding(
    tmp_path: Path,
) -> None:
    settings = Settings.load(environ={"SPARK_HOME": str(tmp_path)})
    with Spark.open(settings, embedder=_UnreadyEmbedder(dim=8)) as spark:
        status = BuildStatus(state="building", libraries=["numpy"], pid=os.getpid())
        write_json(tmp_path / "kb-build.json", asdict(status))
        assert spark.search("sort an array", principal=LOCAL_PRINCIPAL) == []
        # Once the build is no longer running, a search embeds its query again.
        write_json(tmp_path / "kb-build.json", asdict(replace(status, state="done")))
        with pytest.raises(AssertionError, match="embedded"):
            spark.search("sort an array", principal=LOCAL_PRINCIPAL)
