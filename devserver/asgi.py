"""ASGI entry point: HTTP through Django, websockets through Channels."""

import asyncio
import os

import django
from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "devserver.settings")
django.setup(set_prefix=False)

from django.conf import settings  # noqa: E402
from django.core.handlers.asgi import ASGIHandler  # noqa: E402

from console.agent.asgi import with_mcp  # noqa: E402
from runs.connect.gateway import with_connect_websocket  # noqa: E402
from runs.realtime.routing import with_realtime_http, with_realtime_websocket  # noqa: E402

from .http_handler import OneHopASGIHandler  # noqa: E402
from .ingest_route import LeanIngest  # noqa: E402
from .read_route import LeanReads  # noqa: E402
from .request_limits import App, BoundedRequests, Receive, Scope, Send  # noqa: E402

# The dashboard's few static files are served by the same process: one command, nothing else.
# DEVSERVER_FAST_HTTP_HANDLER=0 serves HTTP with Django's stock handler instead.
_django_http = with_realtime_http(  # realtime's publish and SSE stream are ASGI apps of their own
    ASGIStaticFilesHandler(OneHopASGIHandler() if settings.FAST_HTTP_HANDLER else ASGIHandler())
)
# DEVSERVER_LEAN_INGEST=0: `POST /e/` through Django's view too.
_ingest = LeanIngest(_django_http) if settings.LEAN_INGEST else _django_http
# DEVSERVER_LEAN_READS=0: the REST API's run-status polls through Django's views too.
django_asgi_app = BoundedRequests(LeanReads(_ingest) if settings.LEAN_READS else _ingest)
# /mcp: the MCP server for coding agents (console/agent/asgi.py), its own request bounds.
django_asgi_app = with_mcp(django_asgi_app)

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import (  # noqa: E402
    AllowedHostsOriginValidator,
    WebsocketDenier,
)

from foundation.origins import is_cross_origin  # noqa: E402
from runs import live  # noqa: E402

from .routing import websocket_urlpatterns  # noqa: E402


class _PublishOnThisLoop:
    """Tell live publishing which loop serves websockets (the in-memory layer's home)."""

    def __init__(self, app: ProtocolTypeRouter) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: object, send: object) -> None:
        live.use_event_loop(asyncio.get_running_loop())
        await self.app(scope, receive, send)


class _SameOriginOnly:
    """A live stream opens only for a page of this console, in every mode (with
    ALLOWED_HOSTS=*, channels' host check lets any origin through)."""

    def __init__(self, app: App) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = dict(scope.get("headers", []))
        origin = headers.get(b"origin", b"").decode("latin-1")
        host = headers.get(b"host", b"").decode("latin-1")
        if is_cross_origin(origin, host):
            return await WebsocketDenier()(scope, receive, send)
        return await self.app(scope, receive, send)


application = _PublishOnThisLoop(
    ProtocolTypeRouter(
        {
            "http": django_asgi_app,
            # The session tells the consumer who is watching (staging needs a login).
            # The origin must be an allowed host (DNS rebinding) and the page's own host.
            # Realtime subscriptions carry their own credential (a token) and come from any origin.
            "websocket": with_realtime_websocket(
                AllowedHostsOriginValidator(
                    _SameOriginOnly(AuthMiddlewareStack(URLRouter(websocket_urlpatterns)))
                )
            ),
        }
    )
)
# Connect's gateway socket (runs/connect/gateway.py): workers, not browsers, so ahead of the
# console's origin and session checks; its session token is its credential.
application = with_connect_websocket(application)
