"""Finding 10: erasing another org's agent answered 200; NUL characters passed SQLite but
broke a PostgreSQL import; one org's sybil agents moved a public insight's trust by the
whole org cap and its lesson read "Backed by 6 independent agent(s)"."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from spark_memory.config import Settings
from spark_memory.errors import InvalidInput, NotFound
from spark_memory.learning.policy import LearningPolicy
from spark_memory.models import Evidence, Scope
from spark_memory.providers.hash_embedder import HashEmbedder
from spark_memory.service import Spark
from spark_memory.store.protocol import Store
from tests.interfaces.server import SPARK
from tests.learning.conftest import TASK, admin, failed_then_fixed, register, spark, writer

__all__ = ["spark"]


def test_erasing_another_orgs_agent_is_not_found_and_erases_nothing(spark: Spark) -> None:
    victim = writer("org-b", "b-agent")
    register(spark, victim, 0.9)
    trace = spark.record_trace(TASK, outcome="failed", principal=victim).id
    with pytest.raises(NotFound, match="no agent 'b-agent' in org 'org-a'"):
        spark.erase(agent_id="b-agent", principal=admin("org-a", "a-admin"))
    with pytest.raises(NotFound):
        spark.erase(agent_id="nobody", principal=admin("org-a", "a-admin"))
    assert spark.store.get_trace(trace, victim).id == trace
    assert spark.audit_log(principal=admin("org-a", "a-admin")) == []


@pytest.fixture
def on_store(store: Store, tmp_path: Path) -> Spark:
    """The façade over each backend (SQLite and PostgreSQL); the store fixture closes it."""
    return Spark(Settings.load(environ={}, home=tmp_path), store, HashEmbedder())


@pytest.mark.parametrize(
    "write",
    [
        lambda s, who: s.record_trace("sort\x00 an array", principal=who),
        lambda s, who: s.record_trace(TASK, environment={"num\x00py": "1.0"}, principal=who),
        lambda s, who: s.record_trace(TASK, model="gpt\x00", principal=who),
        lambda s, who: s.create_memory("Sort", "Use argsort\x00.", principal=who),
        lambda s, who: s.create_memory("Sort", "Use argsort.", tags=["np\x00"], principal=who),
        lambda s, who: s.create_memory(
            "Sort", "Use argsort.", evidence=Evidence(error="E\x00"), principal=who
        ),
    ],
    ids=["trace task", "environment name", "model", "memory content", "tag", "evidence"],
)
def test_nul_characters_are_refused_the_same_on_both_backends(
    on_store: Spark, write: object
) -> None:
    who = writer("org-a", "alice")
    with pytest.raises(InvalidInput, match="NUL character"):
        write(on_store, who)  # type: ignore[operator]
    assert on_store.store.list_traces("org-a") == []
    assert on_store.store.unscoped_insights_of("org-a") == []


def test_sybil_agents_of_one_org_move_public_trust_by_at_most_the_org_cap(spark: Spark) -> None:
    spark.learning_policy = LearningPolicy(public_needs_trace_evidence=False)
    text = ("Broadcast group sums", "Use df.groupby('a')['b'].transform('sum') to keep rows.")
    for org in ("org-1", "org-2", "org-3"):
        who = admin(org, f"{org}-a")
        register(spark, who, 0.9)
        spark.create_memory(*text, query="pandas groupby transform sum", principal=who)
    spark.curate(principal=admin("org-1", "org-1-a"))
    public = [i for i in spark.store.unscoped_insights_of("spark") if i.scope is Scope.PUBLIC]
    assert len(public) == 1
    before = spark.get_memory(public[0].id, principal=admin("org-1", "org-1-a")).trust
    sybils = [writer("sybil", f"sock-{n}") for n in range(6)]
    for sock in sybils:
        spark.share_feedback(
            public[0].id, relevant=True, correct=True, verified="passed", principal=sock
        )
    after = spark.get_memory(public[0].id, principal=admin("org-1", "org-1-a")).trust
    cap = spark.learning_policy.trust.org_cap
    assert after.alpha - before.alpha <= cap + 1e-6
    assert after.alpha - before.alpha > 0


def test_a_lesson_from_one_orgs_agents_does_not_claim_independent_agents(spark: Spark) -> None:
    socks = [admin("sybil", f"sock-{n}") for n in range(6)]
    for sock in socks:
        register(spark, sock, 0.9)
        failed_then_fixed(spark, sock)
    record = spark.curate(principal=socks[0])
    created = [e.target_id for e in record.events if e.action == "created"]
    assert created
    content = spark.get_memory(created[0], principal=socks[0]).content
    assert "independent agent" not in content
    assert "6 agent(s) in 1 org(s)" in content


@pytest.mark.parametrize("where", ["a-file", "a-file/below", "/proc/none/x"])
def test_a_bad_spark_home_is_a_clear_error_without_a_traceback(tmp_path: Path, where: str) -> None:
    (tmp_path / "a-file").write_text("not a folder")
    home = tmp_path / where  # an absolute `where` stays as it is
    env = {**os.environ, "SPARK_HOME": str(home), "SPARK_EMBEDDER": "hash"}
    done = subprocess.run(
        [SPARK, "stats"], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode != 0
    assert "Traceback" not in done.stderr
    assert done.stderr.startswith("error: cannot use")
    assert "SPARK_HOME" in done.stderr
