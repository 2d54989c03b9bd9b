"""One HTTP request through an ASGI app in process, as an ASGI server would make it: the
contract tests send the same request through two paths (a lean route and Django, our handler
and Django's) and compare what each sent back."""

import asyncio
from typing import Any

from tests import one_loop

App = Any  # an ASGI application: (scope, receive, send) -> awaitable


def http_scope(
    method: str,
    path: str,
    headers: list[tuple[bytes, bytes]],
    query: bytes = b"",
    root_path: str = "",
) -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query,
        "root_path": root_path,
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }


def exchange(app: App, scope: dict[str, Any], chunks: list[bytes]) -> list[dict]:
    """The messages `app` sent for a request whose body arrives in `chunks`; the client stays
    connected after the body (receive then waits, as a real connection does)."""
    incoming = [
        {"type": "http.request", "body": chunk, "more_body": i < len(chunks) - 1}
        for i, chunk in enumerate(chunks)
    ]
    sent: list[dict] = []

    async def receive() -> dict:
        if incoming:
            return incoming.pop(0)
        await asyncio.sleep(3600)
        raise AssertionError("unreachable")

    async def send(message: dict) -> None:
        sent.append(message)

    one_loop.run(asyncio.wait_for(app(scope, receive, send), 30))
    return sent


def body_of(sent: list[dict]) -> bytes:
    return b"".join(m.get("body", b"") for m in sent[1:])
