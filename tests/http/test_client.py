"""The Python client against a real `spark serve`: every verb round-trips, errors included."""

from __future__ import annotations

import uuid

import httpx
import pytest

from spark_memory.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    ProviderUnavailable,
    Unauthorized,
)
from spark_memory.http.client import SparkClient
from spark_memory.models import MAX_QUERY_CHARS, Evidence, InsightStatus, Outcome
from spark_memory.service.sessions import RunOutcome
from tests.interfaces.server import Server


def unique(text: str) -> str:
    return f"{text} {uuid.uuid4().hex[:8]}"


def test_search_and_recommend_return_the_domain_models(server: Server) -> None:
    with server.client("reader") as spark:
        hits = spark.search("indices that would sort an array", libraries=["numpy"], k=3)
        rec = spark.recommend("count the unique values of a pandas series")
    assert hits[0].symbol == "numpy.argsort"
    assert {h.library for h in hits} == {"numpy"}
    assert rec.citations
    assert rec.tokens.used <= rec.tokens.budget
    assert any(c.symbol == "pandas.Series.value_counts" for c in rec.citations)


def test_memory_create_show_enrich_feedback_round_trip(server: Server) -> None:
    title = unique("Use transform to broadcast group sums")
    with server.client("writer") as spark:
        created = spark.create_memory(
            title,
            "df.groupby('a')['b'].transform('sum') keeps the frame's shape.",
            query="broadcast group sum to rows",
            tags=["pandas:2.2"],
            evidence=Evidence(fix="df['s'] = df.groupby('a')['b'].transform('sum')"),
        )
        shown = spark.get_memory(created.id)
        enriched = spark.enrich_memory(created.id, "Works for mean and count too.")
    with server.client("admin") as lead:
        voted = lead.share_feedback(created.id, verified="passed")
        same = lead.share_feedback(created.id, verified="passed")
        content = lead.get_memory(created.id).content
    assert created.status == "created"
    assert created.insight_status is InsightStatus.ACTIVE
    assert shown.title == title
    assert shown.org_id == "acme"
    assert shown.agent_id == "acme/bot"
    assert enriched.status == "updated"
    assert "mean and count" in content
    assert voted.status == "created"
    assert same.status == "unchanged"


def test_traces_and_runs_round_trip(server: Server) -> None:
    with server.client("writer", session="client-run") as spark:
        rec = spark.recommend("merge two dataframes on a key column")
        trace = spark.record_trace(
            unique("merge frames"), outcome=Outcome.FAILED, error="KeyError: 'id'"
        )
        report = spark.record_run(
            RunOutcome(
                command="pytest -x",
                exit_code=0,
                outcome=Outcome.PASSED,
                duration_s=1.5,
                failing_tests=[],
                test_output="1 passed",
            )
        )
    assert trace.status == "created"
    assert trace.id.startswith("trc_")
    assert set(report.served_ids) == {c.id for c in rec.citations}
    assert len(report.feedback_ids) == len(report.served_ids) > 0
    assert report.trace.id.startswith("trc_")


def test_knowledge_base_reads(server: Server) -> None:
    with server.client("reader") as spark:
        libraries = {s.library for s in spark.kb_libraries()}
        stats = spark.stats()
        hit = spark.search("unique elements of an array", k=1)[0]
        snippet = spark.kb_show(hit.id)
    assert libraries == {"numpy", "pandas"}
    assert stats.snippets == 5
    assert stats.location == server.url
    assert snippet.symbol == hit.symbol
    assert snippet.text


def test_admin_verbs_round_trip(server: Server) -> None:
    with server.client("admin") as lead:
        epoch = lead.curate()
        epochs = lead.epochs(limit=5)
        made = lead.create_memory(unique("Pin numpy below 2 for old pickles"), "Old pickles.")
        entries = lead.audit_log(limit=10)
        reverted = lead.revert(made.id)
        key = lead.create_key("helper", "reader")
        lead.revoke_key(key.id)
    assert epoch.id in {e.id for e in epochs}
    assert entries[0].target_id == made.id
    assert entries[0].org_id == "acme"
    assert reverted.status == "reverted"
    assert key.org_id == "acme"
    assert key.agent_id == "acme/helper"
    assert key.secret.startswith("spk_")
    with SparkClient(server.url, key.secret, retries=0) as revoked, pytest.raises(Unauthorized):
        revoked.search("anything")


def test_erase_one_agent(server: Server) -> None:
    with server.client("other") as boss:
        worker = boss.create_key("temp", "writer")
        with SparkClient(server.url, worker.secret, retries=0) as temp:
            temp.record_trace(unique("temporary trace"), outcome="passed")
        report = boss.erase(agent_id=worker.agent_id)
    assert report.org_id == "globex"
    assert report.agent_id == "globex/temp"
    assert report.traces == 1


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (lambda s: s.get_memory("ins_does_not_exist"), NotFound),
        (lambda s: s.kb_show("snp_does_not_exist"), NotFound),
        (lambda s: s.search("   "), InvalidInput),
        (lambda s: s.search("x", libraries=["cobol"]), InvalidInput),
        (lambda s: s.search("q" * (MAX_QUERY_CHARS + 1)), InvalidInput),
        (lambda s: s.recommend("task", budget_tokens=10), InvalidInput),
        (lambda s: s.share_feedback("snp_nope", relevant=True), NotFound),
        (lambda s: s.share_feedback(s.search("argsort", k=1)[0].id), InvalidInput),
        (lambda s: s.curate(), Forbidden),
        (lambda s: s.create_key("x"), Forbidden),
    ],
)
def test_errors_come_back_as_the_same_exceptions(
    server: Server, call: object, error: type[Exception]
) -> None:
    with server.client("writer") as spark, pytest.raises(error):
        call(spark)  # type: ignore[operator]


def test_a_reader_cannot_write(server: Server) -> None:
    with server.client("reader") as spark, pytest.raises(Forbidden, match="read"):
        spark.record_trace("a task", outcome="passed")


def test_retried_writes_with_one_idempotency_key_are_stored_once(server: Server) -> None:
    key = f"retry-{uuid.uuid4().hex}"
    title, task = unique("Idempotent"), unique("t")
    with server.client("writer") as spark:
        first = spark.create_memory(title, "once", idempotency_key=key)
        second = spark.create_memory(title, "once", idempotency_key=key)
        trace_key = f"trace-{uuid.uuid4().hex}"
        t1 = spark.record_trace(task, outcome="passed", idempotency_key=trace_key)
        t2 = spark.record_trace(task, outcome="passed", idempotency_key=trace_key)
        # the same key on another request is a client bug, not a retry
        with pytest.raises(Conflict):
            spark.record_trace(task, outcome="failed", idempotency_key=trace_key)
    assert second.id == first.id
    assert second.status == "unchanged"
    assert t2.id == t1.id
    assert t2.status == "unchanged"


def test_claims_of_another_org_in_headers_or_body_do_not_count(server: Server) -> None:
    headers = {**server.headers("writer"), "X-Spark-Org": "globex", "X-Spark-Agent": "boss"}
    body = {"title": unique("Claimed"), "content": "c", "org_id": "globex"}
    refused = httpx.post(f"{server.url}/v1/memories", json=body, headers=headers)
    del body["org_id"]
    stored = httpx.post(f"{server.url}/v1/memories", json=body, headers=headers)
    assert refused.status_code == 422
    assert "org_id" in refused.json()["message"]
    assert stored.status_code == 200
    with server.client("writer") as spark:
        insight = spark.get_memory(stored.json()["id"])
    assert insight.org_id == "acme"
    assert insight.agent_id == "acme/bot"


def test_oversized_bodies_get_413_before_parsing(server: Server) -> None:
    big = b'{"query": "' + b"x" * 1_100_000 + b'"}'
    response = httpx.post(
        f"{server.url}/v1/search",
        content=big,
        headers={**server.headers("writer"), "Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert response.json()["error"] == "PayloadTooLarge"


def test_invalid_json_is_a_422_with_a_reason(server: Server) -> None:
    response = httpx.post(
        f"{server.url}/v1/search",
        content=b"{not json",
        headers={**server.headers("writer"), "Content-Type": "application/json"},
    )
    assert response.status_code == 422
    assert response.json()["message"]


def test_metrics_and_health_need_no_key(server: Server) -> None:
    with server.client("reader") as spark:
        spark.search("sort an array")
    health = httpx.get(f"{server.url}/healthz")
    metrics = httpx.get(f"{server.url}/metrics").text
    assert health.json()["status"] == "ok"
    assert 'spark_http_requests_total{method="POST",route="/v1/search",status="200"}' in metrics
    assert "spark_http_request_duration_seconds_bucket" in metrics
    assert "acme" not in metrics  # no tenant names in labels


def test_an_unreachable_or_malformed_server_url_is_a_clear_error() -> None:
    from tests.interfaces.server import free_port

    with pytest.raises(InvalidInput, match="http"):
        SparkClient("localhost:8765", "spk_x")
    with (
        SparkClient(f"http://127.0.0.1:{free_port()}", "spk_x", retries=1) as nowhere,
        pytest.raises(ProviderUnavailable, match="cannot reach"),
    ):
        nowhere.search("anything")


def test_openapi_operation_ids_are_the_verb_names(server: Server) -> None:
    document = httpx.get(f"{server.url}/openapi.json").json()
    ids = {op["operationId"] for path in document["paths"].values() for op in path.values()}
    verbs = {"search", "recommend", "get_memory", "create_memory", "enrich_memory"}
    verbs |= {"share_feedback", "record_trace", "record_run", "curate", "epochs", "audit_log"}
    verbs |= {"revert", "erase", "create_key", "revoke_key", "stats", "kb_libraries", "kb_show"}
    verbs |= {"kb_build", "healthz", "metrics"}
    assert ids == verbs
    # each is a method of the Python client, where the client has one
    client_verbs = {v for v in verbs if hasattr(SparkClient, v)}
    assert client_verbs >= {"search", "recommend", "record_run", "stats", "kb_show"}


def test_stats_count_the_orgs_records_and_say_no_build_ran(server: Server) -> None:
    with server.client("writer") as spark:
        before = spark.stats().records
        spark.record_trace(unique("stats trace"), outcome="passed")
        after = spark.stats()
    assert set(before) == {"insights", "traces", "feedback", "agents"}
    assert after.records["traces"] == before["traces"] + 1
    assert after.records["agents"] >= 3  # acme's lead, bot and viewer (not globex's)
    assert after.kb_build is None  # started with --no-kb
