"""A scripted fake SDK app for integration tests: a real HTTP server in a thread whose answers
come from a script, and whose functions are registered through the real sync code path.

    sdk.add_function("fake-flow", [ops(step_run("one", 1)), completed("done")])
    sdk.sync()
    [run] = send_event("test/go", {"n": 1})
    run_until_quiet()

An answer is what the official SDKs send back (runs/sdk_client.py reads it): 200 and the
function's output, 206 and a list of ops (hashed step ids), 500 and an error, with the
`X-Inngest-No-Retry` and `Retry-After` headers. Every request is kept (`sdk.calls(...)`) so a
test can check what the server sent back on replay: memoized steps, stack, attempt."""

import hashlib
import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from django.conf import settings
from django.db import connections

from runs.models import App, Function
from runs.registration import parse_registration, register
from tests.fake_http import sign_response

SDK_VERSION = "py:v0.5.19"


def hashed(step_id: str) -> str:
    """The SDKs' step id on the wire: SHA-1 hex of the user's id."""
    return hashlib.sha1(step_id.encode()).hexdigest()


@dataclass(frozen=True)
class Answer:
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    raw: bytes | None = None  # sent as is instead of `body` as JSON

    def encoded(self) -> bytes:
        return self.raw if self.raw is not None else json.dumps(self.body).encode()


@dataclass(frozen=True)
class SdkRequest:
    """One execution request the server made, as the SDK received it."""

    fn_id: str
    step_id: str
    body: dict[str, Any]
    headers: dict[str, str]

    @property
    def steps(self) -> dict[str, Any]:
        """The memoized outputs sent back, by hashed step id."""
        return self.body["steps"]

    @property
    def ctx(self) -> dict[str, Any]:
        return self.body["ctx"]

    @property
    def attempt(self) -> int:
        return self.ctx["attempt"]

    @property
    def stack(self) -> list[str]:
        return self.ctx["stack"]["stack"]


Script = list[Answer] | Callable[[SdkRequest], Answer]


# What the SDKs answer, op by op (shapes from inngest-py 0.5.19 and the JS SDK).
def completed(output: Any) -> Answer:
    return Answer(200, output)


def ops(*operations: dict[str, Any], headers: dict[str, str] | None = None) -> Answer:
    return Answer(206, list(operations), headers or {})


def errored(
    message: str = "boom",
    name: str = "Error",
    status: int = 500,
    no_retry: bool = False,
    retry_after: str | None = None,
) -> Answer:
    headers = {"X-Inngest-No-Retry": "true" if no_retry else "false"}
    if retry_after is not None:
        headers["Retry-After"] = retry_after
    return Answer(status, {"name": name, "message": message}, headers)


def _op(opcode: str, step_id: str, **fields: Any) -> dict[str, Any]:
    return {"op": opcode, "id": hashed(step_id), "name": step_id, "displayName": step_id, **fields}


def step_run(step_id: str, data: Any) -> dict[str, Any]:
    return _op("StepRun", step_id, data=data)


def step_error(step_id: str, message: str = "step failed") -> dict[str, Any]:
    return _op("StepError", step_id, error={"name": "Error", "message": message})


def step_failed(step_id: str, message: str = "step failed") -> dict[str, Any]:
    return _op("StepFailed", step_id, error={"name": "Error", "message": message})


def step_planned(step_id: str, parallel_mode: str | None = None) -> dict[str, Any]:
    """`parallel_mode="race"`: JS 4.x `group.parallel()`, Python `parallel_mode=RACE`."""
    if parallel_mode is None:
        return _op("StepPlanned", step_id)
    return _op("StepPlanned", step_id, opts={"parallelMode": parallel_mode})


def sleep(step_id: str, until: str) -> dict[str, Any]:
    """`until`: an ISO 8601 time (Python SDK) or a duration like "2s" (JS SDK)."""
    return {**_op("Sleep", step_id), "name": until}


def wait_for_event(
    step_id: str, event: str, timeout: str, if_: str | None = None
) -> dict[str, Any]:
    opts = {"event": event, "timeout": timeout, **({"if": if_} if if_ else {})}
    return {**_op("WaitForEvent", step_id, opts=opts), "name": event}


def wait_for_signal(
    step_id: str, signal: str, timeout: str, conflict: str | None = None
) -> dict[str, Any]:
    """JS 3.x/4.x `step.waitForSignal(id, {signal, timeout, onConflict})`."""
    opts = {"signal": signal, "timeout": timeout, **({"conflict": conflict} if conflict else {})}
    return {**_op("WaitForSignal", step_id, opts=opts), "name": signal}


def invoke(step_id: str, function_id: str, data: Any, timeout: str | None = None) -> dict:
    opts = {"function_id": function_id, "payload": {"data": data}}
    if timeout:
        opts["timeout"] = timeout
    return _op("InvokeFunction", step_id, opts=opts)


def run_complete(data: Any) -> dict[str, Any]:
    """JS SDK v4 checkpointing: the function returned `data` in this request."""
    return {"op": "RunComplete", "id": hashed("complete"), "data": data}


class FakeSdk:
    """The app: functions with a script each, served on a loopback port from a thread."""

    def __init__(self, app_name: str = "fake") -> None:
        self.app_name = app_name
        self.requests: list[SdkRequest] = []
        self.problems: list[str] = []  # requests the scripts could not answer
        self._functions: dict[str, dict[str, Any]] = {}
        self._scripts: dict[str, Script] = {}
        self._lock = threading.Lock()
        self._http: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self._http is not None, "the fake SDK is not serving"
        return f"http://127.0.0.1:{self._http.server_address[1]}/api/inngest"

    @contextmanager
    def serving(self) -> Iterator["FakeSdk"]:
        self._http = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        # A short poll: shutdown() waits for the serving loop to look (0.5 s by default).
        thread = threading.Thread(
            target=self._http.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        thread.start()
        try:
            yield self
        finally:
            self._http.shutdown()
            self._http.server_close()

    def add_function(
        self,
        slug: str,
        script: Script,
        *,
        event: str = "test/go",
        retries: int = 0,
        **config: Any,
    ) -> None:
        """A function triggered by `event` (or `config["triggers"]`); `slug` is its id."""
        self._functions[slug] = {
            "id": slug,
            "name": slug,
            "triggers": [{"event": event}],
            "retries": retries,
            **config,
        }
        self.script(slug, script)

    def script(self, slug: str, script: Script) -> None:
        """Replace the answers of `slug` (a list is consumed one answer per request)."""
        with self._lock:
            self._scripts[slug] = list(script) if isinstance(script, list) else script

    def sync(self) -> App:
        """Register the functions as the SDK's PUT-then-register would (runs/registration.py)."""
        functions = []
        for slug, config in self._functions.items():
            step_url = f"{self.url}?fnId={slug}&stepId=step"
            step = {
                "id": "step",
                "name": "step",
                "runtime": {"type": "http", "url": step_url},
                "retries": {"attempts": config["retries"]},
            }
            fn = {k: v for k, v in config.items() if k != "retries"}
            functions.append({**fn, "steps": {"step": step}})
        body = {
            "url": self.url,
            "v": "0.1",
            "deployType": "ping",
            "sdk": SDK_VERSION,
            "framework": "fake",
            "appName": self.app_name,
            "functions": functions,
        }
        return register(parse_registration(body), default_retries=4).app

    def function(self, slug: str) -> Function:
        return Function.objects.get(slug=slug)

    def calls(self, slug: str | None = None) -> list[SdkRequest]:
        with self._lock:
            return [r for r in self.requests if slug is None or r.fn_id == slug]

    def _answer(self, request: SdkRequest) -> Answer:
        with self._lock:
            self.requests.append(request)
            script = self._scripts.get(request.fn_id)
            if callable(script):
                pass
            elif script:
                return script.pop(0)
            else:
                problem = f"no scripted answer left for {request.fn_id} (call {len(self.requests)})"
                self.problems.append(problem)
                return errored(problem, name="ScriptExhausted", no_retry=True)
        return script(request)


def _handler_for(sdk: FakeSdk) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            query = dict(parse_qsl(urlsplit(self.path).query))
            request = SdkRequest(
                fn_id=query.get("fnId", ""),
                step_id=query.get("stepId", ""),
                body=json.loads(self.rfile.read(length)),
                headers={k.lower(): v for k, v in self.headers.items()},
            )
            try:
                answer = sdk._answer(request)
            finally:  # a script that touched the database did it on this thread's connection
                connections.close_all()
            raw = answer.encoded()
            self.send_response(answer.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("X-Inngest-Sdk", SDK_VERSION)
            self.send_header("X-Inngest-Req-Version", "2")
            if settings.SIGNING_KEY:  # staging: the server accepts signed answers only
                self.send_header("X-Inngest-Signature", sign_response(raw, settings.SIGNING_KEY))
            for name, value in answer.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def log_message(self, *args: object) -> None:
            pass

    return Handler
