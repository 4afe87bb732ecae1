"""Loopback stand-ins for the model APIs the real agent CLIs speak, with scripted turns.

They are protocol peers, not mocks: Claude Code streams Anthropic Messages API events
from :class:`AnthropicPeer`, Codex streams OpenAI Responses API events from
:class:`ResponsesPeer`, over real HTTP on 127.0.0.1. Each agent request that offers the
scripted tool gets, in turn one, a call of that tool and, once the agent has sent the
tool's result back, a closing text; requests without the tool (Claude Code's side
requests: titles, summaries) get a short text. Every request is recorded, and
:meth:`ModelPeer.tool_results` returns what the agent sent back as tool results: what
the model would have read.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

FINAL_TEXT = "Done: I followed the advice."


@dataclass(frozen=True)
class ToolCall:
    """What the scripted model asks for: a tool (by the end of its name) and arguments."""

    tool: str
    arguments: dict[str, Any]


@dataclass
class ModelPeer:
    """The HTTP part both peers share: recording, threading, start and stop."""

    call: ToolCall
    requests: list[dict[str, Any]] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def base_url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> ModelPeer:
        peer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    body = json.loads(raw or b"{}")
                except json.JSONDecodeError:
                    body = {"unparsed": raw.decode("utf-8", "replace")}
                with peer._lock:
                    peer.requests.append(body)
                    peer.paths.append(self.path)
                status, content_type, payload = peer.answer(self.path, body)
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def do_GET(self) -> None:
                payload = b'{"data": []}'
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def do_HEAD(self) -> None:
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def answer(self, path: str, body: dict[str, Any]) -> tuple[int, str, bytes]:
        raise NotImplementedError

    def tool_results(self) -> list[str]:
        raise NotImplementedError

    def everything_sent(self) -> str:
        """All request bodies as one string: for "did this text reach the model"."""
        with self._lock:
            return "\n".join(json.dumps(r, ensure_ascii=False) for r in self.requests)


def _sse(events: list[tuple[str | None, dict[str, Any]]]) -> bytes:
    out = []
    for name, data in events:
        head = f"event: {name}\n" if name else ""
        out.append(f"{head}data: {json.dumps(data)}\n\n")
    return "".join(out).encode()


def _texts(content: Any) -> Iterator[str]:
    """The text of a tool result's content, whichever shape the agent chose."""
    if isinstance(content, str):
        yield content
    elif isinstance(content, list):
        for block in content:
            if isinstance(block, dict):
                if isinstance(block.get("text"), str):
                    yield block["text"]
                elif "content" in block:
                    yield from _texts(block["content"])
            elif isinstance(block, str):
                yield block
    elif content is not None:
        yield json.dumps(content)


class AnthropicPeer(ModelPeer):
    """``POST /v1/messages`` as Claude Code calls it (streaming SSE, or one JSON message)."""

    def tool_name(self, body: dict[str, Any]) -> str | None:
        for tool in body.get("tools") or []:
            name = tool.get("name", "")
            if name.endswith("__" + self.call.tool):
                return str(name)
        return None

    def answer(self, path: str, body: dict[str, Any]) -> tuple[int, str, bytes]:
        if not path.startswith("/v1/messages"):
            return 404, "application/json", b'{"error": "not here"}'
        if path.startswith("/v1/messages/count_tokens"):
            return 200, "application/json", b'{"input_tokens": 100}'
        name = self.tool_name(body)
        answered = any(True for _ in self._results_in(body))
        if name is not None and not answered:
            block = {"type": "tool_use", "id": "toolu_" + uuid.uuid4().hex[:20], "name": name}
            return self._reply(body, block, json.dumps(self.call.arguments), "tool_use")
        text = FINAL_TEXT if name is not None else "ok"
        return self._reply(body, {"type": "text", "text": text}, None, "end_turn")

    def _reply(
        self, body: dict[str, Any], block: dict[str, Any], args: str | None, stop: str
    ) -> tuple[int, str, bytes]:
        model = body.get("model", "claude-test")
        usage = {"input_tokens": 10, "output_tokens": 5}
        if not body.get("stream"):
            whole = dict(block, input=json.loads(args)) if args is not None else block
            message = {
                "id": "msg_" + uuid.uuid4().hex[:20],
                "type": "message",
                "role": "assistant",
                "model": model,
                "content": [whole],
                "stop_reason": stop,
                "stop_sequence": None,
                "usage": usage,
            }
            return 200, "application/json", json.dumps(message).encode()
        start = dict(block, input={}) if args is not None else dict(block, text="")
        if args is not None:
            delta = {"type": "input_json_delta", "partial_json": args}
        else:
            delta = {"type": "text_delta", "text": block["text"]}
        message = {
            "id": "msg_" + uuid.uuid4().hex[:20],
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            "usage": {"input_tokens": 10, "output_tokens": 1},
        }
        events: list[tuple[str | None, dict[str, Any]]] = [
            ("message_start", {"type": "message_start", "message": message}),
            (
                "content_block_start",
                {"type": "content_block_start", "index": 0, "content_block": start},
            ),
            ("content_block_delta", {"type": "content_block_delta", "index": 0, "delta": delta}),
            ("content_block_stop", {"type": "content_block_stop", "index": 0}),
            (
                "message_delta",
                {
                    "type": "message_delta",
                    "delta": {"stop_reason": stop, "stop_sequence": None},
                    "usage": {"output_tokens": 5},
                },
            ),
            ("message_stop", {"type": "message_stop"}),
        ]
        return 200, "text/event-stream", _sse(events)

    @staticmethod
    def _results_in(body: dict[str, Any]) -> Iterator[str]:
        for message in body.get("messages") or []:
            content = message.get("content")
            if not isinstance(content, list):
                continue
            for block in content:
                if isinstance(block, dict) and block.get("type") == "tool_result":
                    yield "\n".join(_texts(block.get("content")))

    def tool_results(self) -> list[str]:
        with self._lock:
            found: list[str] = []
            for body in self.requests:
                for text in self._results_in(body):
                    if text not in found:
                        found.append(text)
            return found


class ResponsesPeer(ModelPeer):
    """``POST /v1/responses`` as Codex calls it (streaming SSE)."""

    def tool_name(self, body: dict[str, Any]) -> tuple[str | None, str] | None:
        """(namespace, name) of the scripted tool; Codex groups a server's tools in a namespace."""
        for tool in body.get("tools") or []:
            name = str(tool.get("name") or "")
            if tool.get("type") == "namespace":
                for inner in tool.get("tools") or []:
                    if inner.get("name") == self.call.tool:
                        return name, self.call.tool
            elif name.endswith("__" + self.call.tool):
                return None, name
        return None

    def answer(self, path: str, body: dict[str, Any]) -> tuple[int, str, bytes]:
        if not path.rstrip("/").endswith("/responses"):
            return 404, "application/json", b'{"error": "not here"}'
        name = self.tool_name(body)
        answered = any(True for _ in self._results_in(body))
        response_id = "resp_" + uuid.uuid4().hex[:20]
        if name is not None and not answered:
            item: dict[str, Any] = {
                "type": "function_call",
                "id": "fc_" + uuid.uuid4().hex[:20],
                "call_id": "call_" + uuid.uuid4().hex[:20],
                "name": name[1],
                "arguments": json.dumps(self.call.arguments),
                "status": "completed",
            }
            if name[0] is not None:
                item["namespace"] = name[0]
        else:
            item = {
                "type": "message",
                "id": "msg_" + uuid.uuid4().hex[:20],
                "role": "assistant",
                "status": "completed",
                "content": [{"type": "output_text", "text": FINAL_TEXT, "annotations": []}],
            }
        response = {"id": response_id, "object": "response", "status": "in_progress", "output": []}
        done = dict(
            response,
            status="completed",
            output=[item],
            usage={
                "input_tokens": 10,
                "input_tokens_details": {"cached_tokens": 0},
                "output_tokens": 5,
                "output_tokens_details": {"reasoning_tokens": 0},
                "total_tokens": 15,
            },
        )
        events: list[tuple[str | None, dict[str, Any]]] = [
            ("response.created", {"type": "response.created", "response": response}),
            (
                "response.output_item.added",
                {"type": "response.output_item.added", "output_index": 0, "item": item},
            ),
            (
                "response.output_item.done",
                {"type": "response.output_item.done", "output_index": 0, "item": item},
            ),
            ("response.completed", {"type": "response.completed", "response": done}),
        ]
        return 200, "text/event-stream", _sse(events)

    @staticmethod
    def _results_in(body: dict[str, Any]) -> Iterator[str]:
        items = body.get("input")
        if not isinstance(items, list):
            return
        for item in items:
            if isinstance(item, dict) and item.get("type") == "function_call_output":
                output = item.get("output")
                if isinstance(output, dict):  # {"content": ..., "success": ...}
                    output = output.get("content", output)
                yield "\n".join(_texts(output))

    def tool_results(self) -> list[str]:
        with self._lock:
            found: list[str] = []
            for body in self.requests:
                for text in self._results_in(body):
                    if text not in found:
                        found.append(text)
            return found
