"""/mcp as an ASGI app beside Django (Streamable HTTP, stateless, JSON answers): several web
processes behind a load balancer can each answer any request, as for /api/. The caller is
checked here, before the SDK reads a byte: staging without credentials is a 401, another
site's page a 403. The SDK's session manager runs in a task of its own, started at the
first request (the server speaks no ASGI lifespan)."""

import asyncio
import json
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django.http.request import split_domain_port, validate_host
from mcp.server.transport_security import TransportSecuritySettings

from foundation.origins import is_cross_origin

from . import (
    fixture_tools,  # noqa: F401  (its tools register on the server when imported)
    time_travel_tools,  # noqa: F401  (likewise)
)
from .access import Caller, Level, caller_of
from .server import CALLER_KEY, server

PATH = "/mcp"
Scope = dict[str, Any]
App = Any  # an ASGI callable

_manager_app = server.streamable_http_app(
    streamable_http_path=PATH,
    stateless_http=True,
    json_response=True,
    # Host and origin are checked below, by the console's own rules (ALLOWED_HOSTS).
    transport_security=TransportSecuritySettings(enable_dns_rebinding_protection=False),
)


class _Manager:
    """The SDK's session manager, run once per process in a task that lives as long as the
    loop (its task group hosts each request's server)."""

    def __init__(self) -> None:
        self._ready: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None

    async def started(self) -> None:
        if self._ready is None:
            self._ready = asyncio.Event()
            self._task = asyncio.get_running_loop().create_task(self._run(self._ready))
        await self._ready.wait()

    @staticmethod
    async def _run(ready: asyncio.Event) -> None:
        async with server.session_manager.run():
            ready.set()
            await asyncio.Event().wait()  # until the loop ends


_manager = _Manager()


def with_mcp(app: App) -> App:
    """`app` with /mcp answered by the MCP server."""

    async def route(scope: Scope, receive: Any, send: Any) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or (path != PATH and not path.startswith(PATH + "/")):
            return await app(scope, receive, send)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        refusal = _refusal(headers)
        if refusal is None:
            caller: Caller = await sync_to_async(caller_of)(headers)
            if caller.level == Level.NONE:
                refusal = (401, "authentication required: send Authorization: Bearer <key>")
        if refusal is not None:
            return await _error(send, *refusal)
        scope = {**scope, CALLER_KEY: caller, "path": PATH}
        await _manager.started()
        await server.session_manager.handle_request(scope, receive, send)

    return route


def _refusal(headers: dict[str, str]) -> tuple[int, str] | None:
    host = headers.get("host", "")
    domain, _ = split_domain_port(host)
    if not domain or not validate_host(domain, settings.ALLOWED_HOSTS):
        return 400, f"host {host!r} is not in ALLOWED_HOSTS"
    if headers.get("sec-fetch-site") in ("cross-site", "same-site") or is_cross_origin(
        headers.get("origin"), host
    ):
        return 403, "cross-site requests may not use /mcp"
    return None


async def _error(send: Any, status: int, message: str) -> None:
    body = json.dumps({"error": message, "status": status}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
