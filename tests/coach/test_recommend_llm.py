"""recommend() with an LLM: a real local OpenAI-compatible server with scripted replies."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from spark_memory.coach.models import DEFAULT_BUDGET_TOKENS, Mode
from spark_memory.errors import MalformedReply, ProviderError, ProviderUnavailable
from spark_memory.models import LOCAL_PRINCIPAL, Snippet
from spark_memory.service import Spark
from tests.coach.conftest import FORGED_FENCE, INJECTION, corpus, open_spark
from tests.support.openai_server import OpenAIServer, completion, stall, status

OLD_PANDAS = {"pandas": "1.5.3"}
TASK = "In pandas, how do I replace rare values using value_counts() and where?"
MERGE_TASK = "import pandas as pd\nHow do I merge two DataFrames with a database-style join?"


def snippet_id(symbol: str, version: str = "1.5.3") -> str:
    found: list[Snippet] = [s for s in corpus() if s.symbol == symbol and s.version == version]
    return found[0].id


WHERE = snippet_id("pandas.DataFrame.where")
COUNTS = snippet_id("pandas.Series.value_counts")


def reply(**overrides: Any) -> str:
    body = {
        "guidance": {
            "text": "Map each value to its count, then keep values seen twice.",
            "sources": [COUNTS, WHERE],
        },
        "steps": [
            {"text": "Count with Series.value_counts.", "sources": [COUNTS]},
            {"text": "Replace the rest with DataFrame.where.", "sources": [WHERE]},
        ],
        "pitfalls": [
            {"text": "where keeps values where the condition is True.", "sources": [WHERE]}
        ],
        "code_sketch": {
            "code": "df.where(df.apply(lambda c: c.map(c.value_counts())) >= 2, 'other')",
            "sources": [WHERE, COUNTS],
        },
        "citations": [
            {"id": COUNTS, "reason": "counts each value"},
            {"id": WHERE, "reason": "replaces where a condition fails"},
        ],
    }
    body.update(overrides)
    return json.dumps(body)


@pytest.fixture
def server() -> Iterator[OpenAIServer]:
    with OpenAIServer() as s:
        yield s


@pytest.fixture
def spark(server: OpenAIServer, tmp_path: Path) -> Iterator[Spark]:
    settings = {"llm_base_url": server.base_url, "llm_model": "coach-test", "llm_timeout": 5.0}
    with open_spark(tmp_path, **settings) as s:
        yield s


def test_the_llm_writes_and_the_reply_is_typed(spark: Spark, server: OpenAIServer) -> None:
    server.script_chat(completion(reply(), prompt_tokens=900, completion_tokens=120))
    rec = spark.recommend(TASK, environment=OLD_PANDAS, principal=LOCAL_PRINCIPAL)
    assert (rec.mode, rec.model) == (Mode.LLM, "coach-test")
    assert rec.guidance.sources == [COUNTS, WHERE]
    assert [c.id for c in rec.citations] == [COUNTS, WHERE]
    assert rec.citations[0].reason == "counts each value"
    assert rec.citations[0].symbol == "pandas.Series.value_counts"
    assert "value_counts" in rec.code_sketch.code
    assert (rec.tokens.llm_calls, rec.tokens.llm_prompt, rec.tokens.llm_completion) == (1, 900, 120)
    assert rec.tokens.used <= rec.tokens.budget
    assert rec.intent.libraries == ["pandas"]
    assert rec.queries


def test_the_request_carries_the_material_fenced_with_ids(
    spark: Spark, server: OpenAIServer
) -> None:
    server.script_chat(completion(reply()))
    spark.recommend(TASK, environment=OLD_PANDAS, principal=LOCAL_PRINCIPAL)
    sent = server.chat_requests[0]
    system, user = (m["content"] for m in sent["messages"])
    nonce = fence_nonce(system)
    assert f"id={COUNTS}" in user
    assert "pandas 1.5.3" in system  # the versions the caller has
    assert "polars" in system  # look-alikes named as off limits
    blocks = fenced_blocks(user, nonce)
    assert blocks[0].startswith(f"<<<DATA {nonce} request>>>")
    assert sent["max_tokens"] >= DEFAULT_BUDGET_TOKENS


def test_instructions_in_retrieved_text_reach_the_llm_only_inside_the_fence(
    spark: Spark, server: OpenAIServer
) -> None:
    merge = snippet_id("pandas.DataFrame.merge")
    server.script_chat(
        completion(
            reply(
                guidance={"text": "Use DataFrame.merge.", "sources": [merge]},
                steps=[],
                pitfalls=[],
                code_sketch={"code": "", "sources": []},
                citations=[],
            )
        )
    )
    spark.recommend(MERGE_TASK, environment=OLD_PANDAS, principal=LOCAL_PRINCIPAL)
    system, user = (m["content"] for m in server.chat_requests[0]["messages"])
    nonce = fence_nonce(system)
    assert INJECTION not in system
    blocks = fenced_blocks(user, nonce)
    assert any(INJECTION in b for b in blocks)
    outside = user
    for block in blocks:
        outside = outside.replace(block, "")
    assert INJECTION not in outside
    assert FORGED_FENCE not in user  # stored text cannot close its own fence


def test_a_malformed_reply_is_retried_once_with_the_reason(
    spark: Spark, server: OpenAIServer
) -> None:
    server.script_chat(completion("Sure! Here is my advice: use where."), completion(reply()))
    rec = spark.recommend(TASK, environment=OLD_PANDAS, principal=LOCAL_PRINCIPAL)
    assert rec.tokens.llm_calls == 2
    retry = server.chat_requests[1]["messages"]
    assert retry[-2] == {"role": "assistant", "content": "Sure! Here is my advice: use where."}
    assert "no JSON object" in retry[-1]["content"]
    assert rec.guidance.sources == [COUNTS, WHERE]


def test_two_malformed_replies_are_an_error(spark: Spark, server: OpenAIServer) -> None:
    server.script_chat(completion("not json"), completion('{"steps": []}'))
    with pytest.raises(MalformedReply, match=r"malformed twice.*no JSON object.*guidance"):
        spark.recommend(TASK, environment=OLD_PANDAS, principal=LOCAL_PRINCIPAL)
    assert len(server.chat_requests) == 2


def test_citing_ids_outside_the_material_is_malformed(spark: Spark, server: OpenAIServer) -> None:
    invented = reply(guidance={"text": "Trust me.", "sources": ["snp_invented"]})
    server.script_chat(completion(invented), completion(invented))
    with pytest.raises(MalformedReply, match="not in the material"):
        spark.recommend(TASK, environment=OLD_PANDAS, principal=LOCAL_PRINCIPAL)


def test_a_claim_without_sources_is_malformed(spark: Spark, server: OpenAIServer) -> None:
    unsourced = reply(steps=[{"text": "Just do it.", "sources": []}])
    server.script_chat(completion(unsourced), completion(reply()))
    rec = spark.recommend(TASK, environment=OLD_PANDAS, principal=LOCAL_PRINCIPAL)
    assert rec.tokens.llm_calls == 2
    assert "steps.0.sources" in server.chat_requests[1]["messages"][-1]["content"]


def test_a_reply_in_a_code_fence_is_accepted(spark: Spark, server: OpenAIServer) -> None:
    server.script_chat(completion(f"```json\n{reply()}\n```"))
    assert (
        spark.recommend(TASK, environment=OLD_PANDAS, principal=LOCAL_PRINCIPAL).tokens.llm_calls
        == 1
    )


def test_a_timeout_is_reported(server: OpenAIServer, tmp_path: Path) -> None:
    settings = {"llm_base_url": server.base_url, "llm_model": "m", "llm_timeout": 0.3}
    server.script_chat(stall(10.0))
    with (
        open_spark(tmp_path, **settings) as spark,
        pytest.raises(ProviderUnavailable, match=r"0\.3 s"),
    ):
        spark.recommend(TASK, principal=LOCAL_PRINCIPAL)


def test_a_500_is_reported(spark: Spark, server: OpenAIServer) -> None:
    server.script_chat(status(500, "model exploded"))
    with pytest.raises(ProviderError, match=r"500.*model exploded"):
        spark.recommend(TASK, principal=LOCAL_PRINCIPAL)


def test_a_long_reply_is_cut_to_the_budget(spark: Spark, server: OpenAIServer) -> None:
    steps = [
        {"text": f"Step {n}: " + "apply the counts " * 12, "sources": [COUNTS]} for n in range(5)
    ]
    server.script_chat(completion(reply(steps=steps)))
    rec = spark.recommend(
        TASK, environment=OLD_PANDAS, budget_tokens=200, principal=LOCAL_PRINCIPAL
    )
    assert rec.tokens.used <= 200
    assert rec.guidance.sources


def test_extractive_mode_never_calls_the_llm(spark: Spark, server: OpenAIServer) -> None:
    rec = spark.recommend(
        TASK, environment=OLD_PANDAS, mode="extractive", principal=LOCAL_PRINCIPAL
    )
    assert rec.mode is Mode.EXTRACTIVE
    assert server.chat_requests == []


def fence_nonce(system: str) -> str:
    found = re.search(r"<<<DATA (\w+) \.\.\.>>>", system)
    assert found, system
    return found[1]


def fenced_blocks(text: str, nonce: str) -> list[str]:
    pattern = rf"<<<DATA {nonce} [^\n]*>>>\n.*?\n<<<END DATA {nonce}>>>"
    return re.findall(pattern, text, re.S)
