"""A lean keep-alive HTTP/1.1 client for calls to apps: one connection per thread and origin.

The executor calls an app once per step, so per-request client overhead is paid per step;
the standard library's http.client costs a fraction of a general-purpose client here.
DEVSERVER_FAST_HTTP_POOL=0 sends the same requests through one pooled httpx client instead
(tests/integration/test_http_pool_contract.py holds both to the same answers and errors)."""

import http.client
import threading
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx
from django.conf import settings


@dataclass(frozen=True)
class RawResponse:
    status: int
    headers: dict[str, str]  # lower-cased names
    body: bytes


class HttpTimeout(Exception):
    """The app did not answer in time."""


class HttpUnreachable(Exception):
    """No connection could be made, or it broke before an answer came."""


_local = threading.local()


def post(url: str, body: bytes, headers: dict[str, str], timeout: float) -> RawResponse:
    """POST `body`; the answer whatever its status, or HttpTimeout / HttpUnreachable."""
    if not settings.FAST_HTTP_POOL:
        return _post_with_httpx(url, body, headers, timeout)
    parts = urlsplit(url)
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    key = (parts.scheme, parts.hostname, parts.port)
    for attempt in range(2):
        connection, reused = _connection(key, timeout)
        try:
            connection.request("POST", path, body=body, headers=headers)
            response = connection.getresponse()
            raw = RawResponse(
                status=response.status,
                headers={k.lower(): v for k, v in response.getheaders()},
                body=response.read(),
            )
            if response.will_close:
                _drop(key)
            return raw
        except TimeoutError as exc:
            _drop(key)
            raise HttpTimeout(str(exc) or "timed out") from None
        except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError) as exc:
            _drop(key)
            # A kept-alive connection the app had already closed: try once on a fresh one.
            if reused and attempt == 0:
                continue
            raise HttpUnreachable(str(exc) or type(exc).__name__) from None
        except (OSError, http.client.HTTPException) as exc:
            _drop(key)
            raise HttpUnreachable(str(exc) or type(exc).__name__) from None
    raise HttpUnreachable("connection closed by the app")


def _connection(key: tuple, timeout: float) -> tuple[http.client.HTTPConnection, bool]:
    pool = _local.__dict__.setdefault("pool", {})
    connection = pool.get(key)
    if connection is not None:
        connection.timeout = timeout
        if connection.sock is not None:
            connection.sock.settimeout(timeout)
        return connection, True
    scheme, host, port = key
    factory = http.client.HTTPSConnection if scheme == "https" else http.client.HTTPConnection
    connection = factory(host, port, timeout=timeout)
    pool[key] = connection
    return connection, False


def _drop(key: tuple) -> None:
    connection = _local.__dict__.get("pool", {}).pop(key, None)
    if connection is not None:
        connection.close()


_httpx_client: httpx.Client | None = None
_httpx_lock = threading.Lock()


def _post_with_httpx(url: str, body: bytes, headers: dict[str, str], timeout: float) -> RawResponse:
    global _httpx_client
    with _httpx_lock:
        if _httpx_client is None:
            # Environment proxies are ignored, as http.client ignores them: the same requests.
            _httpx_client = httpx.Client(
                limits=httpx.Limits(max_connections=64, max_keepalive_connections=32),
                trust_env=False,
            )
    try:
        response = _httpx_client.post(url, content=body, headers=headers, timeout=timeout)
    except httpx.TimeoutException as exc:
        raise HttpTimeout(str(exc) or "timed out") from None
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        raise HttpUnreachable(str(exc) or type(exc).__name__) from None
    return RawResponse(
        status=response.status_code,
        # A repeated header keeps its last value, as the http.client path does.
        headers={name.lower(): value for name, value in response.headers.multi_items()},
        body=response.content,
    )
