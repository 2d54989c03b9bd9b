"""Call the server's /mcp with the official MCP Python client (Streamable HTTP), for the e2e
and browser tests: one session per call, as an agent that connects, asks and leaves."""

import asyncio
import json
from typing import Any

import httpx2
from mcp.client.session import ClientSession
from mcp.client.streamable_http import streamable_http_client


class ToolFailed(Exception):
    """The tool answered with an error (isError): its text."""


async def _session(url: str, headers: dict[str, str], work: Any) -> Any:
    async with (
        httpx2.AsyncClient(headers=headers, timeout=60) as http,
        streamable_http_client(f"{url}/mcp", http_client=http) as streams,
        ClientSession(streams[0], streams[1]) as session,
    ):
        await session.initialize()
        return await work(session)


def tool_names(url: str, headers: dict[str, str] | None = None) -> set[str]:
    async def names(session: ClientSession) -> set[str]:
        return {tool.name for tool in (await session.list_tools()).tools}

    return asyncio.run(_session(url, headers or {}, names))


def call(url: str, tool: str, headers: dict[str, str] | None = None, **arguments: Any) -> Any:
    """The tool's answer as JSON (its structured content when it has one)."""

    async def called(session: ClientSession) -> Any:
        return await session.call_tool(tool, arguments)

    # Checked once the session has closed: an exception inside it would reach the test
    # wrapped in the client's task group.
    result = asyncio.run(_session(url, headers or {}, called))
    text = "".join(getattr(part, "text", "") for part in result.content)
    if result.is_error:
        raise ToolFailed(text)
    content = result.structured_content
    if content:
        # A list or scalar answer is wrapped by the SDK as {"result": ...}.
        return content.get("result", content) if set(content) == {"result"} else content
    return json.loads(text)
