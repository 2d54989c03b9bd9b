"""A send the official SDK retries is stored once: each SDK's client (JS 3.x and 4.x
`inngest.send`, Python 0.5.19 `send_sync`) sends through a proxy that loses the server's
first answer (the events are stored, the SDK sees a 500), so the SDK sends again with the same
`x-inngest-event-id-seed`; the server answers the retry with the same ids, and the event is
stored and starts its run once."""

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from tests.harness import APPS, EVENT_KEY, SDK_KINDS, DevServer, SdkApp, wait_until


class LosingProxy:
    """Forwards `POST /e/...` to the server; the first answer is replaced with a 500."""

    def __init__(self, target: str) -> None:
        self.target = target
        self.seeds: list[str] = []
        self.answers: list[dict] = []
        self._http = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._http.server_address[1]}"

    @contextmanager
    def serving(self) -> Iterator["LosingProxy"]:
        thread = threading.Thread(target=self._http.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self._http.shutdown()
            self._http.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                seed = self.headers.get("x-inngest-event-id-seed", "")
                proxy.seeds.append(seed)
                headers = {"Content-Type": "application/json"}
                if seed:
                    headers["x-inngest-event-id-seed"] = seed
                forwarded = httpx.post(proxy.target + self.path, content=body, headers=headers)
                proxy.answers.append(forwarded.json())
                lost = len(proxy.answers) == 1
                raw = b'{"error": "answer lost", "status": 500}' if lost else forwarded.content
                self.send_response(500 if lost else forwarded.status_code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def log_message(self, *args: object) -> None:
                pass

        return Handler


def _send_with_sdk(kind: str, proxy_url: str, events: list[dict]) -> list[str]:
    env = {"INNGEST_DEV": "1", "INNGEST_BASE_URL": proxy_url, "INNGEST_EVENT_KEY": EVENT_KEY}
    if kind == "py":
        cmd = [sys.executable, str(APPS / "py_send_event.py"), json.dumps(events)]
    else:
        cmd = ["node", str(APPS / "js" / "send_event.mjs"), json.dumps(events)]
        env["SDK_MAJOR"] = kind[-1]
    done = subprocess.run(
        cmd, env={**os.environ, **env}, capture_output=True, text=True, timeout=60, cwd=APPS
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("kind", SDK_KINDS)
def test_a_send_the_sdk_retries_is_stored_once(server: DevServer, shared: dict, kind: str):
    app: SdkApp = shared["apps"][kind]
    event = {"name": app.event("if"), "data": {"amount": 77, "kind": kind}}
    with LosingProxy(server.url).serving() as proxy:
        ids = _send_with_sdk(kind, proxy.url, [event])

    assert len(proxy.seeds) == 2 and proxy.seeds[0] and proxy.seeds[0] == proxy.seeds[1]
    assert proxy.answers[0]["ids"] == proxy.answers[1]["ids"] == ids
    [event_id] = ids
    run = server.wait_run(event_id, app.slug("if-trigger"))
    assert run["output"] == 77
    stored = server.http.get("/v1/events", params={"name": app.event("if")}).json()["data"]
    assert [e["data"] for e in stored].count(event["data"]) == 1
    wait_until(lambda: len(server.runs_for_event(event_id)) == 1, 5, "the event's one run")
    assert len(server.runs_for_event(event_id)) == 1
