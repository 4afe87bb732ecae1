"""The OpenAI-compatible chat client against a real local HTTP server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from spark_memory.config import Settings
from spark_memory.errors import MalformedReply, ProviderError, ProviderUnavailable
from spark_memory.providers.llm import ChatMessage, OpenAIChat
from tests.support.openai_server import OpenAIServer, completion, raw, stall, status

HELLO = [ChatMessage("system", "be brief"), ChatMessage("user", "hello")]


@pytest.fixture
def server() -> Iterator[OpenAIServer]:
    with OpenAIServer(api_key="sk-test") as s:
        yield s


def client(server: OpenAIServer, timeout: float = 5.0) -> OpenAIChat:
    return OpenAIChat(server.base_url, "test-model", api_key="sk-test", timeout=timeout)


def test_sends_the_messages_and_reads_text_and_usage(server: OpenAIServer) -> None:
    server.script_chat(completion("hi there", prompt_tokens=12, completion_tokens=3))
    reply = client(server).chat(HELLO, max_tokens=64)
    assert (reply.text, reply.prompt_tokens, reply.completion_tokens) == ("hi there", 12, 3)
    sent = server.chat_requests[0]
    assert sent["model"] == "test-model"
    assert sent["max_tokens"] == 64
    assert sent["messages"] == [
        {"role": "system", "content": "be brief"},
        {"role": "user", "content": "hello"},
    ]
    assert server.received[0].headers["Authorization"] == "Bearer sk-test"


def test_from_settings_uses_the_configured_endpoint(server: OpenAIServer) -> None:
    settings = Settings(llm_base_url=server.base_url, llm_model="m1", llm_api_key="sk-test")
    server.script_chat(completion("ok"))
    assert OpenAIChat.from_settings(settings).chat(HELLO, max_tokens=8).text == "ok"
    assert server.chat_requests[0]["model"] == "m1"


def test_unconfigured_llm_is_unavailable() -> None:
    with pytest.raises(ProviderUnavailable, match="no LLM configured"):
        OpenAIChat.from_settings(Settings())


def test_a_500_is_a_provider_error_with_the_servers_reason(server: OpenAIServer) -> None:
    server.script_chat(status(500, "the model crashed"))
    with pytest.raises(ProviderError, match=r"answered 500.*the model crashed") as caught:
        client(server).chat(HELLO, max_tokens=8)
    assert not isinstance(caught.value, ProviderUnavailable)


@pytest.mark.parametrize("code", [429, 503])
def test_busy_statuses_mean_unavailable(server: OpenAIServer, code: int) -> None:
    server.script_chat(status(code))
    with pytest.raises(ProviderUnavailable, match=f"answered {code}"):
        client(server).chat(HELLO, max_tokens=8)


def test_a_wrong_key_is_a_provider_error(server: OpenAIServer) -> None:
    bad = OpenAIChat(server.base_url, "test-model", api_key="wrong", timeout=5)
    with pytest.raises(ProviderError, match="answered 401"):
        bad.chat(HELLO, max_tokens=8)


def test_a_timeout_is_unavailable(server: OpenAIServer) -> None:
    server.script_chat(stall(10.0))
    with pytest.raises(ProviderUnavailable, match=r"did not answer within 0\.3 s"):
        client(server, timeout=0.3).chat(HELLO, max_tokens=8)


def test_an_unreachable_server_is_unavailable() -> None:
    with OpenAIServer() as gone:
        url = gone.base_url
    with pytest.raises(ProviderUnavailable, match="cannot reach"):
        OpenAIChat(url, "m", timeout=2).chat(HELLO, max_tokens=8)


@pytest.mark.parametrize(
    "body",
    [
        "<html>gateway</html>",
        '{"choices": []}',
        '{"choices": [{"message": {"role": "assistant", "content": null}}]}',
        '{"object": "list"}',
    ],
)
def test_a_body_that_is_not_a_completion_is_malformed(server: OpenAIServer, body: str) -> None:
    server.script_chat(raw(body))
    with pytest.raises(MalformedReply):
        client(server).chat(HELLO, max_tokens=8)


def test_missing_usage_counts_as_zero(server: OpenAIServer) -> None:
    server.script_chat(raw('{"choices": [{"message": {"content": "x"}}]}'))
    reply = client(server).chat(HELLO, max_tokens=8)
    assert (reply.text, reply.prompt_tokens, reply.completion_tokens) == ("x", 0, 0)
