"""A real Spark on a real SQLite file, with the hashed bag-of-words test embedder.

The hash embedder puts texts that share words close together, which is what the
learning loop's similarity thresholds need to be exercised deterministically.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from spark_memory.config import Settings
from spark_memory.learning.policy import LearningPolicy
from spark_memory.models import Agent, Principal, Role
from spark_memory.providers.hash_embedder import HashEmbedder
from spark_memory.service import Spark
from spark_memory.store.sqlite import SqliteStore

TASK = (
    "Problem:\nI have a pandas DataFrame with columns a and b. How do I sum column b by"
    " group a and broadcast the sums back to every row so the frame keeps its shape?\n"
    "A:\n<code>\nimport pandas as pd\ndf = pd.DataFrame({'a': [1, 1, 2], 'b': [3, 4, 5]})\n</code>"
)
OTHER_TASK = (
    "Problem:\nMy numpy array needs its indices sorted by value in descending order; which"
    " call returns the order of elements from largest to smallest?\n"
    "A:\n<code>\nimport numpy as np\na = np.array([3, 1, 2])\n</code>"
)
FAILING = "df['s'] = df.groupby('a')['b'].sum()"
FIX = "df['s'] = df.groupby('a')['b'].transform('sum')"
ERROR = (
    'Traceback (most recent call last):\n  File "<string>", line 3, in <module>\n'
    "ValueError: cannot reindex on an axis with duplicate labels"
)


def admin(org: str, agent: str | None = None) -> Principal:
    return Principal(org_id=org, agent_id=agent or f"{org}-agent", role=Role.ADMIN)


def writer(org: str, agent: str | None = None) -> Principal:
    return Principal(org_id=org, agent_id=agent or f"{org}-agent", role=Role.WRITER)


@pytest.fixture
def spark(tmp_path: Path) -> Iterator[Spark]:
    settings = Settings.load(environ={}, home=tmp_path)
    service = Spark(settings, SqliteStore(tmp_path / "spark.db"), HashEmbedder())
    service.learning_policy = LearningPolicy()
    yield service
    service.close()


def register(spark: Spark, who: Principal, standing: float) -> None:
    spark.store.put_agent(
        Agent(id=who.agent_id, org_id=who.org_id, name=who.agent_id, standing=standing)
    )


def failed_then_fixed(spark: Spark, who: Principal, task: str = TASK) -> str:
    receipt = spark.record_trace(
        task,
        code=FAILING,
        outcome="failed",
        error=ERROR,
        correction=FIX,
        environment={"pandas": "1.5.3"},
        principal=who,
    )
    return receipt.id


def passed(spark: Spark, who: Principal, task: str = TASK, code: str = FIX) -> str:
    return spark.record_trace(
        task, code=code, outcome="passed", environment={"pandas": "1.5.3"}, principal=who
    ).id
