"""Core façade behaviour: model changes are explicit and complete; stats never leak secrets."""

from __future__ import annotations

from pathlib import Path

import pytest

from spark_memory.config import Settings
from spark_memory.errors import EmbeddingMismatch
from spark_memory.models import LOCAL_PRINCIPAL, DocType
from spark_memory.providers.hash_embedder import HashEmbedder
from spark_memory.service import Spark
from spark_memory.service.facade import _without_password


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
