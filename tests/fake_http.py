"""Tiny local HTTP servers for tests: fake model providers and misbehaving apps."""

import hashlib
import hmac
import json
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.harness import SIGNING_KEY, STAGING, free_port


def sign_response(body: bytes, key: str) -> str:
    """The SDKs' response signature: HMAC-SHA256 over the raw body then the time in seconds,
    keyed by the signing key without its `signkey-<env>-` prefix."""
    timestamp = int(time.time())
    mac = hmac.new(re.sub(r"^signkey-\w+-", "", key).encode(), body, hashlib.sha256)
    mac.update(str(timestamp).encode())
    return f"t={timestamp}&s={mac.hexdigest()}"


class JsonHandler(BaseHTTPRequestHandler):
    """Base handler: quiet, with helpers to read a JSON body and answer with raw bytes or JSON."""

    def read_json(self) -> Any:
        return json.loads(self.rfile.read(int(self.headers["Content-Length"])))

    def reply(self, status: int, raw: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        if STAGING:  # the server checks app responses there: sign as a real SDK would
            self.send_header("X-Inngest-Signature", sign_response(raw, SIGNING_KEY))
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def reply_json(self, status: int, payload: Any) -> None:
        self.reply(status, json.dumps(payload).encode())

    def log_message(self, *args: object) -> None:
        pass


@contextmanager
def serving(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """Serve `handler` on a free loopback port in a thread; yields the base URL."""
    http = ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
    threading.Thread(target=http.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{http.server_address[1]}"
    finally:
        http.shutdown()
