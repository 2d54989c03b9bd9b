"""devserver/http_handler answers every request as Django's stock ASGIHandler does.

OneHopASGIHandler reuses ASGIHandler's internals: `read_body(receive)` (the body spooled to a
file, RequestAborted on disconnect), `create_request(scope, body_file)` (the request, or an
error response such as 400), `get_script_prefix(scope)`, `BaseHandler.load_middleware
(is_async=False)` and the sync `get_response`, `send_response(response, send)` (status,
headers, cookies, body chunks), `response._handler_class`, and the request_started /
request_finished signals (the latter sent by `response.close()`). Each test sends the same
request to both handlers and compares what came back, so an upgrade that changes one of those
internals makes them differ. DEVSERVER_FAST_HTTP_HANDLER=0 serves with the stock handler."""

import json
from http.cookies import SimpleCookie
from typing import Any

import pytest
from django.core import signals
from django.core.handlers.asgi import ASGIHandler

from devserver.http_handler import OneHopASGIHandler
from tests.asgi_calls import body_of, exchange, http_scope

pytestmark = pytest.mark.django_db(transaction=True)  # handler threads have connections too

_handlers: dict[str, Any] = {}


@pytest.fixture(autouse=True)
def _open_console(settings: Any) -> None:
    """The same answers in either half of the suite: the console as the dev server opens it."""
    settings.REQUIRE_LOGIN = False
    settings.EVENT_KEYS = []


def _handler(kind: str) -> Any:
    if kind not in _handlers:
        _handlers[kind] = OneHopASGIHandler() if kind == "ours" else ASGIHandler()
    return _handlers[kind]


def _call(
    kind: str,
    method: str,
    path: str,
    body: bytes = b"",
    headers: list[tuple[bytes, bytes]] | None = None,
    query: bytes = b"",
) -> dict[str, Any]:
    """One request through the handler `kind`, as an ASGI server would make it."""
    if not any(k == b"host" for k, _ in headers or []):
        headers = [(b"host", b"testserver"), *(headers or [])]
    scope = http_scope(method, path, headers, query)
    chunks = [body[i : i + 1000] for i in range(0, len(body), 1000)] or [b""]
    started, finished = [], []
    on_start = lambda **kw: started.append(kw)  # noqa: E731
    on_finish = lambda **kw: finished.append(kw)  # noqa: E731
    signals.request_started.connect(on_start)
    signals.request_finished.connect(on_finish)
    try:
        sent = exchange(_handler(kind), scope, chunks)
    finally:
        signals.request_started.disconnect(on_start)
        signals.request_finished.disconnect(on_finish)
    start = sent[0]
    assert start["type"] == "http.response.start"
    assert all(m["type"] == "http.response.body" for m in sent[1:])
    assert sent[-1].get("more_body", False) is False
    return {
        "status": start["status"],
        "headers": [(k.decode().lower(), v.decode()) for k, v in start["headers"]],
        "body": body_of(sent),
        "signals": (len(started), len(finished)),
    }


def _cookies(answer: dict) -> dict[str, dict[str, str]]:
    """Cookies set, with their attributes (values vary per request: tokens)."""
    cookies: dict[str, dict[str, str]] = {}
    for name, value in answer["headers"]:
        if name == "set-cookie":
            for key, morsel in SimpleCookie(value).items():
                cookies[key] = {k: v for k, v in morsel.items() if v and k != "expires"}
    return cookies


def _same(request: dict[str, Any], volatile: tuple[str, ...] = ()) -> dict:
    """Both handlers' answers to `request`; asserts they agree and returns ours."""
    ours, stock = _call("ours", **request), _call("stock", **request)
    assert ours["status"] == stock["status"]
    skip = {"set-cookie", *volatile}
    assert sorted(h for h in ours["headers"] if h[0] not in skip) == sorted(
        h for h in stock["headers"] if h[0] not in skip
    )
    assert _cookies(ours) == _cookies(stock)
    assert ours["signals"] == stock["signals"] == (1, 1)
    return {"ours": ours, "stock": stock}


def test_api_json_answer_is_the_same() -> None:
    answers = _same({"method": "GET", "path": "/api/apps"})
    assert answers["ours"]["status"] == 200
    assert answers["ours"]["body"] == answers["stock"]["body"]
    assert ("x-frame-options", "DENY") in answers["ours"]["headers"]  # middleware ran


def test_a_page_sets_the_same_cookies_and_security_headers() -> None:
    # Expires is "now" (never_cache): the two answers may fall on either side of a second.
    answers = _same(
        {"method": "GET", "path": "/accounts/login/"}, volatile=("content-length", "expires")
    )
    assert answers["ours"]["status"] == 200
    assert "csrftoken" in _cookies(answers["ours"])
    assert ("x-content-type-options", "nosniff") in answers["ours"]["headers"]


def test_a_post_without_csrf_token_is_refused_alike() -> None:
    body = b"username=a&password=b"
    form = [(b"content-type", b"application/x-www-form-urlencoded")]
    answers = _same({"method": "POST", "path": "/accounts/login/", "body": body, "headers": form})
    assert answers["ours"]["status"] == 403


def test_not_found_and_slash_redirect_alike() -> None:
    assert _same({"method": "GET", "path": "/no-such-page/"})["ours"]["status"] == 404
    redirect = _same({"method": "GET", "path": "/accounts/login"})["ours"]
    assert redirect["status"] == 301  # CommonMiddleware's APPEND_SLASH
    assert ("location", "/accounts/login/") in redirect["headers"]


def test_an_event_body_in_several_chunks_is_ingested_alike() -> None:
    events = [{"name": "contract/handler", "data": {"pad": "x" * 3000, "i": i}} for i in range(3)]
    body = json.dumps(events).encode()
    request = {
        "method": "POST",
        "path": "/e/contract-key",
        "body": body,
        "headers": [(b"content-type", b"application/json")],
    }
    answers = _same(request, volatile=("content-length",))
    ours, stock = (json.loads(answers[k]["body"]) for k in ("ours", "stock"))
    assert answers["ours"]["status"] == 200, ours
    assert len(ours["ids"]) == len(stock["ids"]) == 3
    assert ours["status"] == stock["status"]


def test_a_malformed_request_is_answered_alike() -> None:
    # An invalid Host: create_request's error path, answered without running the view.
    bad_host = [(b"host", b"bad host!")]
    answers = _same({"method": "GET", "path": "/api/apps", "headers": bad_host})
    assert answers["ours"]["status"] == 400
