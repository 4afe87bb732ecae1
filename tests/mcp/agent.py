"""The MCP SDK's own client, over Streamable HTTP or stdio, driven from sync tests."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import anyio
import httpx2
from mcp.client.stdio import StdioServerParameters
from mcp.client.streamable_http import streamable_http_client
from mcp.types import CallToolResult, TextContent

from mcp import Client

T = TypeVar("T")
Scenario = Callable[[Client], Awaitable[T]]


def over_http(url: str, key: str | None, scenario: Scenario[T], session: str | None = None) -> T:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    if session:
        headers["X-Spark-Session"] = session

    async def main() -> T:
        async with (
            httpx2.AsyncClient(headers=headers, timeout=60) as http,
            Client(streamable_http_client(f"{url}/mcp", http_client=http)) as client,
        ):
            return await scenario(client)

    return anyio.run(main)


def over_stdio(
    command: str, env: dict[str, str], scenario: Scenario[T], args: list[str] | None = None
) -> T:
    params = StdioServerParameters(command=command, args=args or ["mcp"], env=env)

    async def main() -> T:
        async with Client(params, read_timeout_seconds=60) as client:
            return await scenario(client)

    return anyio.run(main)


def text(result: CallToolResult) -> str:
    block = result.content[0]
    assert isinstance(block, TextContent)
    return block.text


def data(result: CallToolResult) -> dict[str, Any]:
    assert not result.is_error, text(result)
    assert result.structured_content is not None
    return result.structured_content
