"""The chat-model port and its OpenAI-compatible client (any ``/chat/completions`` server).

Every failure leaves this module as one of Spark's errors, so callers never see httpx:

    timeout, refused connection, 429, 502-504  -> ProviderUnavailable (try again later)
    any other non-2xx status                   -> ProviderError (with the server's reason)
    a 2xx body that is not a chat completion   -> MalformedReply

No retries here: whether a failure is worth repeating is the caller's decision.
"""

from __future__ import annotations

import functools
import json
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import httpx

from spark_memory.config import Settings
from spark_memory.errors import MalformedReply, ProviderError, ProviderUnavailable

__all__ = ["ChatMessage", "ChatModel", "ChatReply", "OpenAIChat"]

Role = Literal["system", "user", "assistant"]

# Statuses that mean "busy or briefly down", as opposed to "your request is wrong".
_TRANSIENT = frozenset({429, 502, 503, 504})
_MAX_REASON_CHARS = 300


@dataclass(frozen=True)
class ChatMessage:
    role: Role
    content: str

    def as_json(self) -> dict[str, str]:
        return {"role": self.role, "content": self.content}


@dataclass(frozen=True)
class ChatReply:
    text: str
    model: str
    prompt_tokens: int
    completion_tokens: int
    finish_reason: str = ""


class ChatModel(Protocol):
    """A chat model that answers a list of messages with one reply."""

    @property
    def model_name(self) -> str: ...

    def chat(
        self, messages: Sequence[ChatMessage], *, max_tokens: int, temperature: float = 0.0
    ) -> ChatReply: ...


class OpenAIChat:
    """Client of an OpenAI-compatible chat-completions endpoint.

    ``base_url`` is the API root including its version segment, as every such server
    documents it (``https://api.openai.com/v1``, ``http://127.0.0.1:8000/v1``).
    A connection is opened per call: replies take seconds, so pooling gains nothing
    and no client outlives its caller.
    """

    def __init__(
        self,
        base_url: str,
        model: str,
        api_key: str = "",
        timeout: float = 60.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if not base_url or not model:
            raise ProviderUnavailable("no LLM configured: set llm_base_url and llm_model")
        self.url = base_url.rstrip("/") + "/chat/completions"
        self.model = model
        self.timeout = timeout
        self._headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._transport = transport

    @classmethod
    def from_settings(cls, settings: Settings) -> OpenAIChat:
        return cls(
            settings.llm_base_url,
            settings.llm_model,
            settings.llm_api_key,
            settings.llm_timeout,
        )

    @property
    def model_name(self) -> str:
        return self.model

    def chat(
        self, messages: Sequence[ChatMessage], *, max_tokens: int, temperature: float = 0.0
    ) -> ChatReply:
        payload = {
            "model": self.model,
            "messages": [m.as_json() for m in messages],
            "max_tokens": max_tokens,
            "temperature": temperature,
        }
        response = self._post(payload)
        _check_status(response)
        return parse_completion(_json_body(response), self.model)

    def _post(self, payload: dict[str, Any]) -> httpx.Response:
        try:
            with httpx.Client(
                timeout=self.timeout, transport=self._transport, verify=_ssl_context()
            ) as client:
                return client.post(self.url, json=payload, headers=self._headers)
        except httpx.TimeoutException as exc:
            raise ProviderUnavailable(
                f"the LLM at {self.url} did not answer within {self.timeout:g} s"
            ) from exc
        except httpx.TransportError as exc:
            raise ProviderUnavailable(f"cannot reach the LLM at {self.url}: {exc}") from exc


@functools.cache
def _ssl_context() -> ssl.SSLContext:
    # Loading the CA bundle takes 0.1-0.4 s; once per process, not once per call.
    return httpx.create_ssl_context()


def parse_completion(body: Any, requested_model: str = "") -> ChatReply:
    """The first choice of a chat-completions body; MalformedReply when it has none."""
    try:
        choice = body["choices"][0]
        text = choice["message"]["content"]
    except (KeyError, IndexError, TypeError) as exc:
        raise MalformedReply(f"the LLM reply is not a chat completion: {_excerpt(body)}") from exc
    if not isinstance(text, str):
        raise MalformedReply(f"the LLM reply has no text content: {_excerpt(body)}")
    usage = body.get("usage") if isinstance(body.get("usage"), dict) else {}
    return ChatReply(
        text=text,
        model=str(body.get("model") or requested_model),
        prompt_tokens=_count(usage, "prompt_tokens"),
        completion_tokens=_count(usage, "completion_tokens"),
        finish_reason=str(choice.get("finish_reason") or ""),
    )


def _check_status(response: httpx.Response) -> None:
    if response.is_success:
        return
    reason = _excerpt(response.text)
    where = f"the LLM at {response.request.url} answered {response.status_code}"
    if response.status_code in _TRANSIENT:
        raise ProviderUnavailable(f"{where}: {reason}")
    raise ProviderError(f"{where}: {reason}")


def _json_body(response: httpx.Response) -> Any:
    try:
        return response.json()
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise MalformedReply(f"the LLM reply is not JSON: {_excerpt(response.text)}") from exc


def _count(usage: dict[str, Any], key: str) -> int:
    value = usage.get(key)
    return value if isinstance(value, int) and value >= 0 else 0


def _excerpt(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text[:_MAX_REASON_CHARS] + ("…" if len(text) > _MAX_REASON_CHARS else "")
