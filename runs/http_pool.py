"""A lean keep-alive HTTP/1.1 client for calls to apps: one connection per thread and origin.

The executor calls an app once per step, so per-request client overhead is paid per step;
the standard library's http.client costs a fraction of a general-purpose client here. An app's
answer is bounded whole, not per read: the body is read in chunks and refused past `max_bytes`
(a declared Content-Length past it is refused before any of it is read), and a watchdog shuts
the connection of a call still running at its deadline (a socket timeout bounds one read, not
an answer dripped a byte at a time).
DEVSERVER_FAST_HTTP_POOL=0 sends the same requests through one pooled httpx client instead
(tests/integration/test_http_pool_contract.py holds both to the same answers and errors)."""

import contextlib
import heapq
import http.client
import itertools
import socket
import threading
import time
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


class HttpTooLarge(Exception):
    """The answer is larger than the caller accepts; reading stopped there."""

    def __init__(self, size: int, declared: bool) -> None:
        super().__init__(f"{'declared ' if declared else 'over '}{size} bytes")
        self.size = size
        self.declared = declared


CHUNK = 256 * 1024


_local = threading.local()


def post(
    url: str,
    body: bytes,
    headers: dict[str, str],
    timeout: float,
    max_bytes: int = 1 << 62,
    method: str = "POST",
) -> RawResponse:
    """POST `body`; the answer whatever its status, or HttpTimeout (the whole answer took
    longer than `timeout`), HttpTooLarge (its body is over `max_bytes`) or HttpUnreachable.
    `method`: a Durable Endpoint is called back with its own method (runs/endpoint_calls.py)."""
    if not settings.FAST_HTTP_POOL:
        return _post_with_httpx(url, body, headers, timeout, max_bytes, method)
    parts = urlsplit(url)
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    key = (parts.scheme, parts.hostname, parts.port)
    deadline = time.monotonic() + timeout
    for attempt in range(2):
        connection, reused = _connection(key, timeout)
        watch = _WATCHDOG.watch(connection, deadline)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            raw = RawResponse(
                status=response.status,
                headers={k.lower(): v for k, v in response.getheaders()},
                body=_read_body(response, max_bytes, deadline),
            )
            if watch.fired:  # shut mid-body: what was read is not the whole answer
                raise TimeoutError(f"the whole answer took longer than {timeout:g}s")
            if response.will_close:
                _drop(key)
            return raw
        except HttpTooLarge:
            _drop(key)  # the rest of the answer is unread: the connection cannot be reused
            raise
        except TimeoutError as exc:
            _drop(key)
            raise HttpTimeout(str(exc) or "timed out") from None
        except (OSError, http.client.HTTPException) as exc:
            _drop(key)
            if watch.fired:
                raise HttpTimeout(f"the whole answer took longer than {timeout:g}s") from None
            if reused and attempt == 0 and _is_stale(exc):
                continue  # a kept-alive connection the app had closed: once more, on a fresh one
            raise HttpUnreachable(str(exc) or type(exc).__name__) from None
        finally:
            _WATCHDOG.release(watch)
    raise HttpUnreachable("connection closed by the app")


def _is_stale(exc: BaseException) -> bool:
    return isinstance(exc, http.client.RemoteDisconnected | BrokenPipeError | ConnectionResetError)


def _read_body(response: http.client.HTTPResponse, max_bytes: int, deadline: float) -> bytes:
    declared = response.getheader("content-length")
    if declared and declared.isdigit() and int(declared) > max_bytes:
        raise HttpTooLarge(int(declared), declared=True)
    chunks: list[bytes] = []
    size = 0
    while True:
        if time.monotonic() > deadline:
            raise TimeoutError("the answer's body did not arrive in time")
        chunk = response.read(CHUNK)
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > max_bytes:
            raise HttpTooLarge(size, declared=False)
        chunks.append(chunk)


@dataclass
class _Watch:
    deadline: float
    connection: http.client.HTTPConnection
    number: int
    fired: bool = False


class _Watchdog:
    """One thread that shuts the socket of any call still running at its deadline. Calls only
    register and release (a heap push, a dict insert); the thread is woken only when a call's
    deadline is earlier than the one it waits for."""

    def __init__(self) -> None:
        self._watches: dict[int, _Watch] = {}
        self._heap: list[tuple[float, int]] = []
        self._numbers = itertools.count()
        self._wake = threading.Condition()
        self._thread: threading.Thread | None = None

    def watch(self, connection: http.client.HTTPConnection, deadline: float) -> _Watch:
        watch = _Watch(deadline, connection, next(self._numbers))
        with self._wake:
            self._watches[watch.number] = watch
            earliest = self._heap[0][0] if self._heap else None
            heapq.heappush(self._heap, (deadline, watch.number))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="http-watchdog", daemon=True)
                self._thread.start()
            elif earliest is None or deadline < earliest:
                self._wake.notify()
        return watch

    def release(self, watch: _Watch) -> None:
        with self._wake:
            self._watches.pop(watch.number, None)

    def _run(self) -> None:
        with self._wake:
            while True:
                now = time.monotonic()
                while self._heap and (
                    self._heap[0][0] <= now or self._heap[0][1] not in self._watches
                ):
                    _, number = heapq.heappop(self._heap)
                    watch = self._watches.pop(number, None)
                    if watch is not None:
                        watch.fired = True
                        _shut(watch.connection)
                self._wake.wait(self._heap[0][0] - now if self._heap else None)


def _shut(connection: http.client.HTTPConnection) -> None:
    """Unblock the thread reading from this connection (it sees the connection end)."""
    sock = connection.sock
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


_WATCHDOG = _Watchdog()


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


def _post_with_httpx(
    url: str,
    body: bytes,
    headers: dict[str, str],
    timeout: float,
    max_bytes: int,
    method: str = "POST",
) -> RawResponse:
    """The same call through httpx; its timeout bounds each read, so the deadline is checked
    between chunks (headers dripped slowly are bounded per read only)."""
    global _httpx_client
    with _httpx_lock:
        if _httpx_client is None:
            # Environment proxies are ignored, as http.client ignores them: the same requests.
            _httpx_client = httpx.Client(
                limits=httpx.Limits(max_connections=64, max_keepalive_connections=32),
                trust_env=False,
            )
    deadline = time.monotonic() + timeout
    try:
        with _httpx_client.stream(
            method, url, content=body, headers=headers, timeout=timeout
        ) as response:
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > max_bytes:
                raise HttpTooLarge(int(declared), declared=True)
            chunks, size = [], 0
            for (
                chunk
            ) in response.iter_raw():  # whatever each read brings: the deadline is checked often
                size += len(chunk)
                if size > max_bytes:
                    raise HttpTooLarge(size, declared=False)
                if time.monotonic() > deadline:
                    raise HttpTimeout(f"the whole answer took longer than {timeout:g}s")
                chunks.append(chunk)
    except httpx.TimeoutException as exc:
        raise HttpTimeout(str(exc) or "timed out") from None
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        raise HttpUnreachable(str(exc) or type(exc).__name__) from None
    return RawResponse(
        status=response.status_code,
        # A repeated header keeps its last value, as the http.client path does.
        headers={name.lower(): value for name, value in response.headers.multi_items()},
        body=b"".join(chunks),
    )
