"""Calls to apps over kept-alive HTTP/1.1: one connection per thread and origin, answers bounded.

The executor calls an app once per step, so per-request client overhead is paid per step: the
wire work is runs/http_wire.py's (one write per request, headers split in one buffer), this
module keeps the connections, retries one that went stale, and bounds each answer whole: its
body is refused past `max_bytes` as it arrives (a declared Content-Length past it before any
of it is read), and a watchdog shuts the connection of a call still running at its deadline
(a socket timeout bounds one read, not an answer dripped a byte at a time).
DEVSERVER_FAST_HTTP_POOL=0 sends the same requests through one pooled httpx client instead
(tests/integration/test_http_pool_contract.py holds both to the same answers and errors)."""

import functools
import heapq
import itertools
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx
from django.conf import settings

from . import http_wire


@dataclass(frozen=True, slots=True)
class RawResponse:
    status: int
    headers: dict[str, str]  # lower-cased names
    body: bytes


class HttpTimeout(Exception):
    """The app did not answer in time."""


class HttpUnreachable(Exception):
    """No connection could be made, it broke before an answer came, or the answer was not
    HTTP/1.x we can read."""


class HttpTooLarge(Exception):
    """The answer is larger than the caller accepts; reading stopped there."""

    def __init__(self, size: int, declared: bool) -> None:
        super().__init__(f"{'declared ' if declared else 'over '}{size} bytes")
        self.size = size
        self.declared = declared


Origin = tuple[str, int, bool]  # host, port, TLS
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
    origin, target, host = _route(url)
    request = http_wire.encode_request(method, target, host, headers, body)
    deadline = time.monotonic() + timeout
    try:
        pool: dict[Origin, http_wire.Connection] = _local.pool
    except AttributeError:
        pool = _local.pool = {}
    for attempt in range(2):
        connection = pool.get(origin)
        reused = connection is not None
        if connection is None:
            connection = pool[origin] = http_wire.Connection(*origin)
        watch = _WATCHDOG.watch(connection, deadline)
        try:
            answer = connection.exchange(request, timeout, max_bytes, deadline, method == "HEAD")
            if watch.fired:  # shut mid-answer: what was read is not the whole answer
                raise TimeoutError(f"the whole answer took longer than {timeout:g}s")
            if not answer.reusable:
                _drop(pool, origin)
            return RawResponse(answer.status, answer.headers, answer.body)
        except http_wire.TooLarge as exc:
            _drop(pool, origin)  # the rest of the answer is unread: the connection cannot be reused
            raise HttpTooLarge(exc.size, exc.declared) from None
        except TimeoutError as exc:
            _drop(pool, origin)
            raise HttpTimeout(str(exc) or "timed out") from None
        except (OSError, http_wire.MalformedAnswer) as exc:
            _drop(pool, origin)
            if watch.fired:
                raise HttpTimeout(f"the whole answer took longer than {timeout:g}s") from None
            if reused and attempt == 0 and _is_stale(exc):
                continue  # a kept-alive connection the app had closed: once more, on a fresh one
            raise HttpUnreachable(str(exc) or type(exc).__name__) from None
        finally:
            _WATCHDOG.release(watch)
    raise HttpUnreachable("connection closed by the app")


@functools.lru_cache(maxsize=1024)
def _route(url: str) -> tuple[Origin, str, str]:
    """The connection's origin, the request target and the Host header of `url` (a run calls
    the same few URLs step after step, so this is worked out once per URL)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise HttpUnreachable(f"not a URL we can call: {exc}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise HttpUnreachable(f"not an http(s) URL with a host: {url[:200]}")
    tls = parts.scheme == "https"
    target = parts.path or "/"
    if parts.query:
        target = f"{target}?{parts.query}"
    origin = (parts.hostname, port or (443 if tls else 80), tls)
    return origin, target, parts.netloc.rpartition("@")[2]


def _is_stale(exc: BaseException) -> bool:
    return isinstance(exc, BrokenPipeError | ConnectionResetError)


def _drop(pool: dict[Origin, http_wire.Connection], origin: Origin) -> None:
    connection = pool.pop(origin, None)
    if connection is not None:
        connection.close()


@dataclass(slots=True)
class _Watch:
    deadline: float
    connection: http_wire.Connection
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
        self._wake = threading.Condition(threading.Lock())  # not re-entered: a plain lock
        self._thread: threading.Thread | None = None

    def watch(self, connection: http_wire.Connection, deadline: float) -> _Watch:
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
                        watch.connection.shut()  # the reading thread sees the connection end
                self._wake.wait(self._heap[0][0] - now if self._heap else None)


_WATCHDOG = _Watchdog()


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
            # Environment proxies are ignored, as the fast path ignores them: the same requests.
            _httpx_client = httpx.Client(
                limits=httpx.Limits(max_connections=64, max_keepalive_connections=32),
                trust_env=False,
            )
    deadline = time.monotonic() + timeout
    try:
        with _httpx_client.stream(
            # Raw bytes are read (iter_raw), so no compressed answer may be asked for.
            method,
            url,
            content=body,
            headers={**headers, "accept-encoding": "identity"},
            timeout=timeout,
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
        # A repeated header keeps its last value, as the fast path does.
        headers={name.lower(): value for name, value in response.headers.multi_items()},
        body=b"".join(chunks),
    )
