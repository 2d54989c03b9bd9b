"""The web process: daphne, with connections bounded in time. Twisted keeps an idle connection
60 s and a request whose headers arrive a byte at a time for ever; here a request's headers
must be complete DEVSERVER_HTTP_HEADER_TIMEOUT seconds after it began, an idle connection
closes after DEVSERVER_HTTP_IDLE_TIMEOUT, and a request gets its answer within
DEVSERVER_HTTP_REQUEST_TIMEOUT (daphne's own http_timeout), so slow or half-sent requests
cannot pile up.

daphne builds its HTTP factory from the name `daphne.server.HTTPFactory` inside Server.run;
serve() puts ours there (tests/security/test_slow_clients.py holds daphne to that)."""

from collections.abc import Callable
from typing import Any, cast

import daphne.server
from daphne.endpoints import build_endpoint_description_strings
from daphne.http_protocol import HTTPFactory, WebRequest
from django.conf import settings
from twisted.internet import reactor
from twisted.internet.base import DelayedCall, ReactorBase


class HeaderDeadlineRequest(WebRequest):
    """daphne's request, aborting its connection if its headers are not complete in time."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._headers_deadline = _call_later(settings.HTTP_HEADER_TIMEOUT, self._headers_too_slow)

    def gotLength(self, length: int | None) -> None:  # noqa: N802 - Twisted's name
        """Twisted calls this once every header has arrived."""
        if self._headers_deadline.active():
            self._headers_deadline.cancel()
        self.channel.headers_arrived = True
        super().gotLength(length)

    def connectionLost(self, reason: Any) -> None:  # noqa: N802 - Twisted's name
        if self._headers_deadline.active():
            self._headers_deadline.cancel()
        super().connectionLost(reason)

    def _headers_too_slow(self) -> None:
        if self.channel is not None and self.channel.transport is not None:
            self.channel.transport.abortConnection()


class BoundedHTTPFactory(HTTPFactory):
    """daphne's factory with an idle timeout and requests that keep the header deadline."""

    def __init__(self, server: Any) -> None:
        super().__init__(server)
        self.timeOut = settings.HTTP_IDLE_TIMEOUT

    def buildProtocol(self, addr: Any) -> Any:  # noqa: N802 - Twisted's name
        protocol = super().buildProtocol(addr)
        protocol.requestFactory = HeaderDeadlineRequest
        # The first request line itself may be dripped (no request exists until it ends).
        _call_later(settings.HTTP_HEADER_TIMEOUT, _close_if_no_headers, protocol)
        return protocol


def _call_later(delay: float, call: Callable[..., object], *args: object) -> DelayedCall:
    # Twisted types `reactor` by its zope interfaces, whose methods have no `self` (mypy reads
    # their arguments shifted by one); every reactor Twisted ships is a ReactorBase.
    return cast(ReactorBase, reactor).callLater(delay, call, *args)


def _close_if_no_headers(protocol: Any) -> None:
    channel = getattr(protocol, "_channel", protocol)  # Twisted's HTTP/1.1-or-2 wrapper
    open_connection = getattr(channel, "transport", None) is not None and channel.connected
    if open_connection and not getattr(channel, "headers_arrived", False):
        channel.transport.abortConnection()


def serve(application: Any, host: str, port: int) -> None:
    daphne.server.HTTPFactory = BoundedHTTPFactory
    daphne.server.Server(
        application=application,
        endpoints=build_endpoint_description_strings(host=host, port=port),
        http_timeout=settings.HTTP_REQUEST_TIMEOUT,
        verbosity=0,
    ).run()
