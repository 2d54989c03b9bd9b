"""Where realtime plugs into the ASGI application (devserver/asgi.py): its HTTP paths go to
its own apps, its websocket path to its consumer, everything else to the app given. The socket
skips the console's origin and session checks: the token in its URL is its only credential
(as in Inngest, whose subscribers are browsers on the app's own origin)."""

from typing import Any

from .protocol import CONNECT_PATH, PUBLISH_PATH, SSE_PATH
from .publish import Receive, Scope, Send, publish_app
from .subscribe import RealtimeSocket, sse_app
from .tee import TEE_PATH, tee_app


class _ByPath:
    def __init__(self, routes: dict[str, Any], fallback: Any) -> None:
        self.routes = routes
        self.fallback = fallback

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        app = self.routes.get(scope.get("path", "").rstrip("/"), self.fallback)
        await app(scope, receive, send)


def with_realtime_http(app: Any) -> Any:
    return _ByPath({PUBLISH_PATH: publish_app, SSE_PATH: sse_app, TEE_PATH: tee_app}, app)


def with_realtime_websocket(app: Any) -> Any:
    return _ByPath({CONNECT_PATH: RealtimeSocket.as_asgi()}, app)
