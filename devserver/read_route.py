"""`GET /v1/runs/{id}` and `GET /v1/events/{id}/runs` answered straight from ASGI, in front of
Django, with the same status, headers and bytes as console/api/v1.py's views.

These are what the SDKs' tests and users' scripts poll until a run ends, several times per run.
Through Django each poll cost 1.4-2.1 ms of CPU (handler, eleven middleware, ninja, the ORM
building two queries); the answer itself is one indexed read. Here the read is raw SQL
(read_sql.py), on the event loop itself on SQLite (read_sql.LoopReads), else on a small pool
of threads that keep their database connections, and the envelope is built as the view builds
it. Authentication is decided as ConsoleAccessMiddleware decides it: open without
REQUIRE_LOGIN; with it, the raw signing key as a Bearer token. A request this route cannot
answer exactly as Django would (a cookie, which may be a session or a CSRF cookie Django would
renew; no or another credential; a body; a NUL; an odd Host; repeated headers; a read that
failed) goes on to Django untouched. DEVSERVER_LEAN_READS=0
sends every read through Django; tests/integration/lean_reads/ holds both
paths to the same answers.

`?wait=SECONDS` (0-30) holds the read until the runs it shows have ended (run_end_waits.py).
Only this route holds; a read Django answers (DEVSERVER_LEAN_READS=0, a cookie) is answered at
once, which a waiting client takes as it takes any answer of a run not ended: it asks again."""

import asyncio
import json
import re
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from django.conf import settings

from console.api.v1 import WAIT_MAX_S
from foundation import clock
from runs.signing import bearer_is_operator_key

from . import read_sql
from .lean_http import PlainRequests, django_headers
from .request_limits import App, Receive, Scope, Send
from .run_end_waits import RunEndWaits

# ninja's routes `runs/{run_id}` and `events/{event_id}/runs`: one path segment each.
_RUN_PATH = re.compile(r"/v1/runs/([^/]+)")
_EVENT_RUNS_PATH = re.compile(r"/v1/events/([^/]+)/runs")
# Headers whose presence or repetition changes what Django answers; see `_decidable`.
_WATCHED = {b"host", b"authorization", b"cookie", b"content-length", b"transfer-encoding"}
# The one query these reads take: `wait=` and seconds as ninja's `Query(ge=0, le=30)` reads
# them; any other query string is Django's to answer (a 422, or its own reading).
_WAIT_QUERY = re.compile(rb"wait=(\d{1,2}(?:\.\d{1,3})?)")
# A read holds its thread for one indexed query (~0.1 ms): a few threads keep both cores busy
# without one database connection per HTTP thread.
READ_THREADS = 4


class LeanReads:
    """ASGI middleware: serves the two run-status reads, passes everything else to `app`."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.requests = PlainRequests()
        self.pool = ThreadPoolExecutor(max_workers=READ_THREADS, thread_name_prefix="read")
        self._headers = django_headers(b"application/json; charset=utf-8")
        self.waits = RunEndWaits()
        self.on_loop = read_sql.LoopReads() if read_sql.LoopReads.available() else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET":
            return await self.app(scope, receive, send)
        path = scope["path"]
        match = _RUN_PATH.fullmatch(path) or _EVENT_RUNS_PATH.fullmatch(path)
        if match is None or not self._decidable(scope):
            return await self.app(scope, receive, send)
        wait_s = _wait_seconds(scope.get("query_string", b""))
        if wait_s is None:
            return await self.app(scope, receive, send)
        sql_read = read_sql.run if match.re is _RUN_PATH else read_sql.event_runs
        loop = asyncio.get_running_loop()

        async def read() -> read_sql.Answer:
            if self.on_loop is not None:
                try:
                    return sql_read(match.group(1), self.on_loop)
                except read_sql.LoopReads.UsePool:
                    pass  # SQLite is busy or the rows are big: the pool reads and decodes
            return await loop.run_in_executor(self.pool, sql_read, match.group(1))

        try:
            if wait_s > 0 and self.waits.has_room():
                status, data = await self.waits.hold(read, wait_s, match.group(1))
            else:
                status, data = await read()
        except Exception:
            # Nothing is sent yet: Django tries the same read and, if it fails there too,
            # answers and logs the 500 as it does for every view.
            return await self.app(scope, receive, send)
        await self._answer(send, status, data)

    def close(self) -> None:
        if self.on_loop is not None:
            self.on_loop.close()

    def _decidable(self, scope: Scope) -> bool:
        """Whether Django would answer with the view's own answer, which this route gives."""
        seen: dict[bytes, bytes] = {}
        for key, value in scope.get("headers", []):
            if key in _WATCHED:
                if key in seen:
                    return False  # Django joins repeated headers: let it judge the result
                seen[key] = value
        if b"cookie" in seen or b"transfer-encoding" in seen:
            return False
        if seen.get(b"content-length", b"0") != b"0":
            return False
        if settings.REQUIRE_LOGIN:
            credential = seen.get(b"authorization")
            if credential is None or not bearer_is_operator_key(credential.decode("latin-1")):
                return False  # a login, a refusal or an SDK credential: Django's to decide
        return self.requests.plain(scope)

    async def _answer(self, send: Send, status: int, data: Any) -> None:
        if status == 200:
            payload = {
                "data": data,
                "metadata": {"fetched_at": clock.now().isoformat(), "cached_until": None},
            }
        else:
            payload = {"detail": data}
        # ninja's JSONRenderer: json.dumps with its defaults, so the same bytes.
        body = json.dumps(payload).encode()
        headers = [*self._headers, (b"content-length", b"%d" % len(body))]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def _wait_seconds(query: bytes) -> float | None:
    """0 for no query, the seconds of `wait=S` (at most 30), None for anything else."""
    if not query:
        return 0.0
    found = _WAIT_QUERY.fullmatch(query)
    if found is None:
        return None
    seconds = float(found.group(1))
    return seconds if seconds <= WAIT_MAX_S else None
