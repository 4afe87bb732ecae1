"""A real OpenAI-compatible HTTP server on 127.0.0.1 with scripted replies, for tests.

It is a protocol peer, not a mock: clients talk HTTP to it exactly as they would to
an OpenAI-compatible server, and tests read back what it received.

Endpoints (under ``/v1``):

- ``POST /v1/chat/completions`` answers with the next scripted response; when the
  script is empty it asks the responder set with ``respond_with(fn)``, if any, and
  otherwise answers 500 "no scripted reply", so a test that forgot to script a reply
  fails loudly instead of hanging.
- ``POST /v1/embeddings`` answers with the next scripted response if one is queued,
  otherwise with deterministic unit vectors derived from each input's text (same
  text, same vector), so embedding "just works" unless a test scripts a failure.

Typical use::

    with OpenAIServer() as server:
        server.script_chat(completion('{"answer": 42}'), status(500), stall(5.0))
        client = OpenAIChat(server.base_url, "test-model", timeout=1.0)
        ...
        assert server.chat_requests[0]["messages"][0]["role"] == "system"

A responder is a rule-based model: ``fn(body)`` gets each request's JSON body and
returns a ``Scripted`` response or a string (sent as a well-formed completion)::

    server.respond_with(lambda body: "yes" if "API" in str(body["messages"]) else "no")

Responses are built with :func:`completion`, :func:`status`, :func:`raw` and
:func:`stall`. ``api_key`` makes the server demand ``Authorization: Bearer <key>``
(401 otherwise). ``stop()`` wakes stalled handlers, so a timeout test never keeps
the server alive.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import numpy as np

__all__ = [
    "OpenAIServer",
    "Received",
    "Scripted",
    "completion",
    "embedding_vector",
    "raw",
    "stall",
    "status",
]

CHAT_PATH = "/v1/chat/completions"
Responder = Callable[[Any], "Scripted | str"]
EMBEDDINGS_PATH = "/v1/embeddings"


@dataclass(frozen=True)
class Scripted:
    """One scripted HTTP response, sent after ``delay`` seconds (or when the server stops)."""

    status: int = 200
    body: bytes = b""
    content_type: str = "application/json"
    delay: float = 0.0


@dataclass(frozen=True)
class Received:
    """One request the server received: its path, headers and parsed JSON body."""

    path: str
    headers: dict[str, str]
    body: Any


def completion(
    content: str,
    *,
    model: str = "test-model",
    prompt_tokens: int = 100,
    completion_tokens: int = 50,
    finish_reason: str = "stop",
) -> Scripted:
    """A well-formed chat completion whose only choice says ``content``."""
    payload = {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": 0,
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": finish_reason,
            }
        ],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }
    return Scripted(body=json.dumps(payload).encode())


def status(code: int, message: str = "scripted failure") -> Scripted:
    """An error response with OpenAI's error body shape."""
    payload = {"error": {"message": message, "type": "server_error", "code": code}}
    return Scripted(status=code, body=json.dumps(payload).encode())


def raw(body: str, *, code: int = 200, content_type: str = "application/json") -> Scripted:
    """Exactly these bytes, e.g. a body that is not JSON at all."""
    return Scripted(status=code, body=body.encode(), content_type=content_type)


def stall(seconds: float, then: Scripted | None = None) -> Scripted:
    """Answer only after ``seconds`` (to drive client timeouts), then with ``then``."""
    base = then or completion("late reply")
    return Scripted(base.status, base.body, base.content_type, delay=seconds)


def embedding_vector(text: str, dim: int) -> list[float]:
    """The deterministic unit vector the server returns for ``text``."""
    seed = int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "little")
    vector = np.random.default_rng(seed).standard_normal(dim)
    return [float(x) for x in vector / np.linalg.norm(vector)]


@dataclass
class _State:
    api_key: str
    embedding_dim: int
    chat: deque[Scripted] = field(default_factory=deque)
    embeddings: deque[Scripted] = field(default_factory=deque)
    received: list[Received] = field(default_factory=list)
    responder: Responder | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)
    stopping: threading.Event = field(default_factory=threading.Event)


class OpenAIServer:
    """The server; use as a context manager or call ``start()`` / ``stop()``."""

    def __init__(self, *, api_key: str = "", embedding_dim: int = 16) -> None:
        self._state = _State(api_key=api_key, embedding_dim=embedding_dim)
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._httpd.daemon_threads = True
        self._httpd.state = self._state  # type: ignore[attr-defined]
        # A short poll interval: shutdown() waits for the poll loop to notice.
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def base_url(self) -> str:
        """The API root to give a client, e.g. ``http://127.0.0.1:54321/v1``."""
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}/v1"

    def start(self) -> OpenAIServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._state.stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> OpenAIServer:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    def script_chat(self, *responses: Scripted) -> None:
        """Queue responses for the next chat-completion requests, in order."""
        with self._state.lock:
            self._state.chat.extend(responses)

    def respond_with(self, responder: Responder | None) -> None:
        """Answer chat requests the script does not cover with ``responder(body)``."""
        with self._state.lock:
            self._state.responder = responder

    def script_embeddings(self, *responses: Scripted) -> None:
        """Queue responses for the next embedding requests (before the default vectors)."""
        with self._state.lock:
            self._state.embeddings.extend(responses)

    @property
    def received(self) -> list[Received]:
        with self._state.lock:
            return list(self._state.received)

    @property
    def chat_requests(self) -> list[Any]:
        """JSON bodies of the chat-completion requests received so far."""
        return [r.body for r in self.received if r.path == CHAT_PATH]

    @property
    def embedding_requests(self) -> list[Any]:
        return [r.body for r in self.received if r.path == EMBEDDINGS_PATH]

    @property
    def pending(self) -> int:
        """Scripted chat responses not yet consumed."""
        with self._state.lock:
            return len(self._state.chat)


class _Handler(BaseHTTPRequestHandler):
    server_version = "SparkTestOpenAI/1.0"

    @property
    def state(self) -> _State:
        state: _State = self.server.state  # type: ignore[attr-defined]
        return state

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep test output clean

    def do_POST(self) -> None:
        body = self._read_json()
        with self.state.lock:
            self.state.received.append(Received(self.path, dict(self.headers.items()), body))
        if not self._authorised():
            self._send(status(401, "invalid api key"))
        elif self.path == CHAT_PATH:
            self._send(self._next(self.state.chat) or self._respond(body))
        elif self.path == EMBEDDINGS_PATH:
            self._send(self._next(self.state.embeddings) or self._embed(body))
        else:
            self._send(status(404, f"no route {self.path}"))

    def _read_json(self) -> Any:
        length = int(self.headers.get("Content-Length") or 0)
        data = self.rfile.read(length)
        try:
            return json.loads(data)
        except json.JSONDecodeError:
            return data.decode("utf-8", "replace")

    def _authorised(self) -> bool:
        key = self.state.api_key
        return not key or self.headers.get("Authorization") == f"Bearer {key}"

    def _next(self, queue: deque[Scripted]) -> Scripted | None:
        with self.state.lock:
            return queue.popleft() if queue else None

    def _respond(self, body: Any) -> Scripted:
        with self.state.lock:
            responder = self.state.responder
        if responder is None:
            return status(500, "no scripted reply")
        try:
            reply = responder(body)
        # a broken responder is the test's bug: say so in the reply, do not drop the line
        except Exception as exc:  # noqa: BLE001
            return status(500, f"responder failed: {exc!r}")
        return completion(reply) if isinstance(reply, str) else reply

    def _embed(self, body: Any) -> Scripted:
        texts = body.get("input") if isinstance(body, dict) else None
        if isinstance(texts, str):
            texts = [texts]
        if not isinstance(texts, Sequence) or not all(isinstance(t, str) for t in texts):
            return status(400, "input must be a string or a list of strings")
        dim = self.state.embedding_dim
        data = [
            {"object": "embedding", "index": n, "embedding": embedding_vector(t, dim)}
            for n, t in enumerate(texts)
        ]
        payload = {"object": "list", "data": data, "model": body.get("model", ""), "usage": {}}
        return Scripted(body=json.dumps(payload).encode())

    def _send(self, response: Scripted) -> None:
        if response.delay and self.state.stopping.wait(response.delay):
            return  # the server is stopping: drop the connection unanswered
        try:
            self.send_response(response.status)
            self.send_header("Content-Type", response.content_type)
            self.send_header("Content-Length", str(len(response.body)))
            self.end_headers()
            self.wfile.write(response.body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout test): nothing left to answer
