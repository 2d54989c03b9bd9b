"""HTTP/1.1 on one kept-alive socket: write a request, read one answer, nothing more.

The executor calls an app once per step, so the client's own work is paid per step: the
request goes out in one `sendall`, the status line and headers come in through one buffer
split on CRLF (no email.parser, no file object), and the body is framed by Content-Length,
chunked coding or the connection's end, refused past `max_bytes` as it arrives. Deadlines are
the caller's (runs/http_pool.py: a per-read socket timeout and a watchdog that shuts the
socket); this module checks the deadline between reads of a body that comes in pieces.
Only what apps answer with is understood: no pipelining, no trailers kept, no upgrades."""

import contextlib
import socket
import ssl
import time
from dataclasses import dataclass

RECV_SIZE = 64 * 1024
MAX_HEAD_BYTES = 64 * 1024  # status line and headers together; an SDK sends well under 1 KiB
_NO_BODY_STATUSES = frozenset({204, 304})
_HEX_DIGITS = frozenset(b"0123456789abcdefABCDEF")


class MalformedAnswer(Exception):
    """The bytes the app sent are not an HTTP/1.x answer we can frame."""


class ClosedBeforeAnswer(ConnectionResetError):
    """The connection ended before the first byte of an answer: on a kept-alive connection,
    the app had closed it while it sat idle (a retry on a fresh one is safe)."""


class TooLarge(Exception):
    def __init__(self, size: int, declared: bool) -> None:
        super().__init__(f"{'declared ' if declared else 'over '}{size} bytes")
        self.size = size
        self.declared = declared


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    headers: dict[str, str]  # lower-cased names; a repeated header keeps its last value
    body: bytes
    reusable: bool  # the connection may carry the next request


_tls_context: ssl.SSLContext | None = None


def encode_request(
    method: str, target: str, host: str, headers: dict[str, str], body: bytes
) -> bytes:
    """The request's bytes: Host, Content-Length and Accept-Encoding (identity: the body is
    read as sent, as http.client asked), then the caller's headers, which name none of them.
    A CR or LF in a name or value would split the request: ValueError, as http.client does."""
    lines = [
        f"{method} {target} HTTP/1.1\r\nHost: {host}\r\nContent-Length: {len(body)}\r\n"
        "Accept-Encoding: identity\r\n"
    ]
    for name, value in headers.items():
        lines.append(f"{name}: {value}\r\n")
    head = "".join(lines)
    if head.count("\n") != len(lines) + 3 or head.count("\r") != len(lines) + 3:
        raise ValueError(f"a request header holds CR or LF: {headers!r:.200}")
    return head.encode("latin-1") + b"\r\n" + body


class Connection:
    """One socket to an app's origin, opened on first use; `shut` may be called from another
    thread to unblock a read (the reader then sees the connection end)."""

    __slots__ = ("host", "port", "tls", "sock", "_timeout", "_buffer")

    def __init__(self, host: str, port: int, tls: bool) -> None:
        self.host, self.port, self.tls = host, port, tls
        self.sock: socket.socket | None = None
        self._timeout: float | None = None
        self._buffer = bytearray()

    def exchange(
        self, request: bytes, timeout: float, max_bytes: int, deadline: float, head: bool
    ) -> Answer:
        """Send `request`, read its answer. `head`: the request was a HEAD (no body comes)."""
        if self.sock is None:
            self.sock = self._open(timeout)
        elif timeout != self._timeout:  # settimeout is a syscall: only when it changes
            self.sock.settimeout(timeout)
            self._timeout = timeout
        self.sock.sendall(request)
        return self._read_answer(max_bytes, deadline, head)

    def shut(self) -> None:
        sock = self.sock
        if sock is not None:
            with contextlib.suppress(OSError):  # already closed
                sock.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        sock, self.sock = self.sock, None
        self._buffer.clear()
        if sock is not None:
            sock.close()

    def _open(self, timeout: float) -> socket.socket:
        global _tls_context
        sock = socket.create_connection((self.host, self.port), timeout)
        # The request goes out in one write and waits for its answer: no Nagle delay.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if self.tls:
            if _tls_context is None:
                _tls_context = ssl.create_default_context()
            sock = _tls_context.wrap_socket(sock, server_hostname=self.host)
        self._timeout = timeout
        return sock

    def _read_answer(self, max_bytes: int, deadline: float, head: bool) -> Answer:
        while True:
            status, version, headers = self._read_head()
            if 100 <= status < 200 and status != 101:
                continue  # an interim answer (100 Continue, 103 Early Hints): the real one follows
            break
        reusable = version == "HTTP/1.1" and not _says_close(headers.get("connection"))
        if head or status in _NO_BODY_STATUSES or status == 101:
            return Answer(status, headers, b"", reusable and status != 101 and not self._buffer)
        coding = headers.get("transfer-encoding")
        if coding is not None:
            if coding.lower().rsplit(",", 1)[-1].strip() == "chunked":
                body = self._read_chunked(max_bytes, deadline)
                # With a Content-Length too, the framing is in doubt (RFC 9112 6.3): not reused.
                reusable = reusable and "content-length" not in headers
            else:  # another coding last: the body runs to the connection's end (RFC 9112 6.3)
                body, reusable = self._read_to_close(max_bytes, deadline), False
        elif (length := headers.get("content-length")) is not None:
            body = self._read_exact(_content_length(length, max_bytes), deadline)
        else:
            body, reusable = self._read_to_close(max_bytes, deadline), False
        # Bytes past the answer were not asked for: the next answer could not be told apart.
        return Answer(status, headers, body, reusable and not self._buffer)

    def _read_head(self) -> tuple[int, str, dict[str, str]]:
        buffer = self._buffer
        crlf = True
        while True:
            end = buffer.find(b"\r\n\r\n")
            if end < 0 and (end := buffer.find(b"\n\n")) >= 0:
                crlf = False  # bare LF line ends: tolerated, as http.client does
            if end >= 0:
                break
            if len(buffer) > MAX_HEAD_BYTES:
                raise MalformedAnswer(f"the answer's headers are over {MAX_HEAD_BYTES} bytes")
            if not self._fill():
                if not buffer:
                    raise ClosedBeforeAnswer("the app closed the connection before answering")
                raise MalformedAnswer("the connection ended in the middle of the headers")
        text = buffer[:end].decode("latin-1")
        del buffer[: end + (4 if crlf else 2)]
        lines = text.split("\r\n") if crlf else [line.rstrip("\r") for line in text.split("\n")]
        status, version = _status_line(lines[0])
        return status, version, _header_fields(lines)

    def _fill(self) -> bool:
        """One read into the buffer; False when the connection ended."""
        data = self.sock.recv(RECV_SIZE)  # type: ignore[union-attr]  # open while reading
        if not data:
            return False
        self._buffer += data
        return True

    def _take(self, size: int, deadline: float) -> bytes:
        buffer = self._buffer
        while len(buffer) < size:
            if time.monotonic() > deadline:
                raise TimeoutError("the answer's body did not arrive in time")
            if not self._fill():
                raise MalformedAnswer(
                    f"the connection ended {size - len(buffer)} bytes before the body's end"
                )
        data = bytes(buffer[:size])
        del buffer[:size]
        return data

    def _read_exact(self, size: int, deadline: float) -> bytes:
        buffer = self._buffer
        if len(buffer) == size:  # the usual small answer: it came with the headers
            data = bytes(buffer)
            buffer.clear()
            return data
        return self._take(size, deadline)

    def _read_line(self, deadline: float) -> bytes:
        buffer = self._buffer
        while (end := buffer.find(b"\n")) < 0:
            if len(buffer) > MAX_HEAD_BYTES:
                raise MalformedAnswer("a chunk's size line is too long")
            if time.monotonic() > deadline:
                raise TimeoutError("the answer's body did not arrive in time")
            if not self._fill():
                raise MalformedAnswer("the connection ended in the middle of a chunked body")
        line = bytes(buffer[:end]).rstrip(b"\r")
        del buffer[: end + 1]
        return line

    def _read_chunked(self, max_bytes: int, deadline: float) -> bytes:
        pieces: list[bytes] = []
        size = 0
        while True:
            size_field = self._read_line(deadline).partition(b";")[0].strip()
            if not size_field or not _HEX_DIGITS.issuperset(size_field):
                raise MalformedAnswer(f"a chunk's size is not hexadecimal: {size_field[:40]!r}")
            chunk_size = int(size_field, 16)
            if chunk_size == 0:
                while self._read_line(deadline):
                    pass  # trailer fields, up to the blank line: not used
                return b"".join(pieces)
            size += chunk_size
            if size > max_bytes:
                raise TooLarge(size, declared=False)
            pieces.append(self._take(chunk_size, deadline))
            if self._read_line(deadline):
                raise MalformedAnswer("a chunk is longer than its declared size")

    def _read_to_close(self, max_bytes: int, deadline: float) -> bytes:
        buffer = self._buffer
        while True:
            if len(buffer) > max_bytes:
                raise TooLarge(len(buffer), declared=False)
            if time.monotonic() > deadline:
                raise TimeoutError("the answer's body did not arrive in time")
            if not self._fill():
                data = bytes(buffer)
                buffer.clear()
                return data


def _status_line(line: str) -> tuple[int, str]:
    """`HTTP/1.1 206 Partial Content` -> (206, "HTTP/1.1"); anything else is refused."""
    version, _, rest = line.partition(" ")
    code = rest[:3]
    if (
        version not in ("HTTP/1.1", "HTTP/1.0")
        or len(code) != 3
        or not code.isascii()
        or not code.isdigit()
        or rest[3:4] not in ("", " ")
    ):
        raise MalformedAnswer(
            f"the answer does not start with an HTTP/1.x status line: {line!r:.80}"
        )
    return int(code), version


def _header_fields(lines: list[str]) -> dict[str, str]:
    headers: dict[str, str] = {}
    name = ""
    for line in lines[1:]:
        if line[:1] in (" ", "\t"):  # obsolete line folding: continues the previous value
            if not name:
                raise MalformedAnswer("the first header line is a continuation")
            headers[name] = f"{headers[name]} {line.strip()}".strip()
            continue
        raw_name, colon, value = line.partition(":")
        name = raw_name.lower()
        if not colon or not name or name != name.strip():
            raise MalformedAnswer(f"a header line is not `name: value`: {line!r:.80}")
        if name == "content-length" and name in headers:  # two lengths: kept for the check
            value = f"{headers[name]}, {value}"
        headers[name] = value.strip()
    return headers


def _says_close(connection: str | None) -> bool:
    return connection is not None and "close" in (
        token.strip() for token in connection.lower().split(",")
    )


def _content_length(value: str, max_bytes: int) -> int:
    if value.isascii() and value.isdigit():
        size = int(value)
    else:  # repeated identical values ("10, 10") are one length (RFC 9110 8.6), others are not
        values = {part.strip() for part in value.split(",")}
        if len(values) != 1 or not (length := values.pop()).isascii() or not length.isdigit():
            raise MalformedAnswer(f"the answer's Content-Length is not a length: {value!r:.40}")
        size = int(length)
    if size > max_bytes:
        raise TooLarge(size, declared=True)
    return size
