"""An MCP call over the body limit: a tool error naming the limit, not a bare HTTP 413.

An agent reads a tool error and can act on it (send a shorter traceback); many agents
show a transport-level 413 as "the server failed" and drop the call. So in front of the
body limit, a ``tools/call`` to ``/mcp`` that declares a body over the limit is read
through (never stored: only its first and last few bytes are kept, to find the JSON-RPC
id and the tool's name) and answered with a JSON-RPC result that is a tool error. Any
other request goes on to the body limit, which answers 413 as before.
"""

from __future__ import annotations

import json
import re

from mcp.types import CallToolResult, TextContent
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from spark_memory.models import MAX_TEXT_CHARS

KEEP = 4096  # bytes kept from each end of an oversized body
MAX_DRAIN = 64 * 1024 * 1024  # larger bodies are refused without reading them
_ID = re.compile(rb'"id"\s*:\s*("(?:[^"\\]|\\.)*"|-?\d+)')
_METHOD = re.compile(rb'"method"\s*:\s*"tools/call"')
_TOOL = re.compile(rb'"name"\s*:\s*"([A-Za-z0-9_.-]{1,64})"')


class McpBodyLimit:
    """ASGI middleware for the MCP endpoint; everything else passes through untouched."""

    def __init__(self, app: ASGIApp, limit: int, path: str = "/mcp") -> None:
        self.app = app
        self.limit = limit
        self.path = path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        ours = scope["type"] == "http" and scope["path"] == self.path
        declared = _declared(scope) if ours and scope["method"] == "POST" else None
        if declared is None or not self.limit < declared <= MAX_DRAIN:
            await self.app(scope, receive, send)
            return
        head, tail = await _ends(receive)
        call = _call_id(head, tail)
        if call is None:  # not a tool call (or no id to answer): the plain 413
            await self.app(scope, _empty, send)
            return
        await _reply(send, call, self._message(declared, _tool(head)))

    def _message(self, size: int, tool: str) -> str:
        what = f"this {tool} call" if tool else "this call"
        return (
            f"PayloadTooLarge: {what} is {size:,} bytes, over this server's limit of"
            f" {self.limit:,} bytes per request (SPARK_MAX_BODY_BYTES). Send less: each text"
            f" argument takes at most {MAX_TEXT_CHARS:,} characters; keep the part of the code,"
            " error or test output that matters."
        )


def _declared(scope: Scope) -> int | None:
    value = Headers(scope=scope).get("content-length", "")
    return int(value) if value.isdigit() else None


async def _ends(receive: Receive) -> tuple[bytes, bytes]:
    """The first and last ``KEEP`` bytes of the body, read to its end."""
    head = b""
    tail = b""
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return head, tail
        chunk = message.get("body", b"")
        if len(head) < KEEP:
            head += chunk[: KEEP - len(head)]
        tail = (tail + chunk)[-KEEP:]
        if not message.get("more_body", False):
            return head, tail


def _call_id(head: bytes, tail: bytes) -> bytes | None:
    """The JSON-RPC id of a ``tools/call``: before its params, or else after them."""
    if not _METHOD.search(head):
        return None
    params = head.find(b'"params"')
    before = _ID.search(head, 0, params if params >= 0 else len(head))
    if before:
        return before.group(1)
    after = list(_ID.finditer(tail))
    return after[-1].group(1) if after else None


def _tool(head: bytes) -> str:
    found = _TOOL.search(head)
    return found.group(1).decode("ascii") if found else ""


async def _reply(send: Send, call_id: bytes, text: str) -> None:
    result = CallToolResult(content=[TextContent(type="text", text=text)], is_error=True)
    dumped = result.model_dump(mode="json", by_alias=True, exclude_none=True)
    body = b'{"jsonrpc":"2.0","id":%s,"result":%s}' % (call_id, json.dumps(dumped).encode())
    headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _empty() -> Message:
    return {"type": "http.request", "body": b"", "more_body": False}
