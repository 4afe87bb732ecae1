"""Each verb is declared once, as its request model: the façade takes the model or its
fields, and judges both the same way (the fields are not a second, looser API)."""

from __future__ import annotations

import pytest

from spark_memory.errors import InvalidInput, Rejected
from spark_memory.learning.policy import LearningPolicy
from spark_memory.requests import FeedbackBody, MemoryBody, SearchBody, TraceBody
from spark_memory.service import Spark
from tests.learning.conftest import ERROR, TASK, spark, writer

__all__ = ["spark"]

ALICE = writer("org-a", "alice")
URL = "postgresql://app:Zx9vQ2mL7pR4tW1y@db.internal/prod"


def test_a_model_and_its_fields_are_the_same_request(spark: Spark) -> None:
    by_model = spark.record_trace(
        TraceBody(task=TASK, outcome="failed", error=ERROR), principal=ALICE
    )
    by_fields = spark.record_trace(TASK, outcome="failed", error=ERROR, principal=ALICE)
    assert by_model.status == "created"
    assert (by_fields.id, by_fields.status) == (by_model.id, "unchanged")
    memory = spark.create_memory(
        MemoryBody(title="Broadcast group sums", content="Use `transform('sum')`."),
        principal=ALICE,
    )
    again = spark.create_memory("Broadcast group sums", "Use `transform('sum')`.", principal=ALICE)
    assert again.id == memory.id
    vote = spark.share_feedback(FeedbackBody(target_id=memory.id, relevant=True), principal=ALICE)
    assert vote.status == "created"
    assert spark.share_feedback(memory.id, relevant=True, principal=ALICE).status == "unchanged"
    hits = spark.search(SearchBody(query="broadcast group sums", k=3), principal=ALICE)
    assert [h.id for h in hits] == [memory.id]
    same = spark.search("broadcast group sums", k=3, principal=ALICE)
    assert [h.id for h in same] == [memory.id]


def test_a_request_is_given_as_a_model_or_as_fields_not_both(spark: Spark) -> None:
    with pytest.raises(TypeError, match="not both"):
        spark.record_trace(TraceBody(task=TASK), outcome="passed", principal=ALICE)
    with pytest.raises(TypeError, match="by position and by name"):
        spark.record_trace(TASK, task=TASK, principal=ALICE)
    assert spark.store.list_traces("org-a") == []


def test_fields_given_unjudged_get_the_services_reasons(spark: Spark) -> None:
    with pytest.raises(InvalidInput, match="outcome must be one of"):
        spark.record_trace(TraceBody.given(task=TASK, outcome="great"), principal=ALICE)
    with pytest.raises(InvalidInput, match="needs a task"):
        spark.record_trace(TraceBody.given(task="  "), principal=ALICE)
    assert spark.store.list_traces("org-a") == []


def test_a_secret_policy_left_out_is_the_services(spark: Spark) -> None:
    spark.learning_policy = LearningPolicy(secrets="reject")
    with pytest.raises(Rejected, match="password in a connection URL"):
        spark.record_trace(TraceBody(task=TASK, error=f"cannot connect: {URL}"), principal=ALICE)
    redacted = spark.record_trace(
        TraceBody(task=TASK, error=f"cannot connect: {URL}", secrets="redact"), principal=ALICE
    )
    assert redacted.redactions
    assert "Zx9vQ2mL7pR4tW1y" not in spark.store.list_traces("org-a")[0].error
