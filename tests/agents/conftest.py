"""Fixtures for the real-agent tests: the agent CLIs and a store seeded with one lesson.

Without the CLIs (``scripts/agents-setup`` installs them) the tests skip on a
developer's machine and fail under ``CI=true``: CI must never pass without them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest

from spark_memory.config import Settings
from spark_memory.models import LOCAL_PRINCIPAL, Snippet, SnippetKind
from spark_memory.service import Spark
from tests.agents.agents import AGENTS_ENV, agents_bin

# The seeded advice: an API name no library has and a sentence no doc holds, so
# finding them in what the agent sends its model can only mean Spark's answer got there.
API = "pandas.DataFrame.zorbify_frames"
SNIPPET_TEXT = (
    "DataFrame.zorbify_frames(others, axis='quaternion')\n"
    "Stack frames along the quaternion axis and return one frame."
)
GUIDANCE = "Always call zorbify_frames with axis='quaternion' before merging stacked frames."
TASK = "stack two pandas frames with zorbify_frames"


@dataclass(frozen=True)
class Seeded:
    home: Path
    snippet_id: str
    insight_id: str


@pytest.fixture(scope="session")
def agents() -> Path:
    found = agents_bin()
    if found is None:
        reason = f"the agent CLIs are not installed (run scripts/agents-setup or set ${AGENTS_ENV})"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{reason} (CI=true: the real-agent tests must run in CI)")
        pytest.skip(reason)
    return found


@pytest.fixture(scope="session")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Seeded:
    """A store (hash embeddings, set in its own config.toml) with one API and one lesson."""
    home = tmp_path_factory.mktemp("spark-home")
    (home / "config.toml").write_text('embedder = "hash"\n')
    with Spark.open(Settings.load(environ={"SPARK_HOME": str(home)})) as spark:
        snippet = Snippet.build(
            library="pandas",
            version="2.2.0",
            symbol=API,
            kind=SnippetKind.API,
            title="zorbify_frames",
            text=SNIPPET_TEXT,
        )
        vectors = spark.embedder.embed([snippet.embed_text])
        spark.store.upsert_snippets([snippet], vectors, spark.space)
        receipt = spark.create_memory(
            "Stack frames with zorbify_frames",
            GUIDANCE,
            query="stack pandas frames zorbify_frames",
            tags=["pandas"],
            principal=LOCAL_PRINCIPAL,
        )
    return Seeded(home, snippet.id, receipt.id)
