"""Fixtures of the lean-read tests: the lean route with Django behind it, and rows of runs in
each status, events with no, one and many runs."""

from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings as django_settings

from devserver.http_handler import OneHopASGIHandler
from devserver.read_route import READ_THREADS, LeanReads
from flowcontrol.models import Decision, DecisionKind
from foundation import clock
from runs.models import App, Function, Run, RunStatus
from tests.integration.lean_reads.calls import (
    OUTPUTS,
    T0,
    Passed,
    close_connections,
    make_event,
    make_run,
)


@pytest.fixture(scope="module")
def apps() -> Any:
    django = OneHopASGIHandler()
    passed = Passed(django)
    lean = LeanReads(passed)
    yield {"django": django, "lean": lean, "passed": passed}
    lean.close()
    close_connections(lean.pool, READ_THREADS)
    close_connections(django.pool, django_settings.HTTP_THREADS)


@pytest.fixture(autouse=True)
def _settings(settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    settings.ALLOWED_HOSTS = ["testserver"]
    settings.REQUIRE_LOGIN = False
    settings.DEBUG = False
    monkeypatch.setattr(clock, "now", lambda: T0)  # `fetched_at` in both envelopes


@pytest.fixture
def world() -> dict[str, Any]:
    app = App.objects.create(name="shop", url="http://127.0.0.1:1/api/inngest")
    function = Function.objects.create(app=app, slug="shop-f", name="f", step_url=app.url)
    other = Function.objects.create(app=app, slug="shop-g", name="g", step_url=app.url)
    lone, busy, idle = make_event(0), make_event(1), make_event(2)
    runs: dict[str, Run] = {}
    for n, status in enumerate(RunStatus):
        started = None if status == RunStatus.QUEUED else T0 + timedelta(seconds=n)
        ended = (
            T0 + timedelta(minutes=n) if status in ("Completed", "Failed", "Cancelled") else None
        )
        runs[status] = make_run(function, busy, status, started, ended, output={"s": status})
    for name, value in OUTPUTS.items():
        runs[name] = make_run(other, lone if name == "dict" else busy, "Completed", T0, T0, value)
    runs["failed-error"] = make_run(function, busy, "Failed", T0, T0, "hidden", {"message": "boom"})
    debounced = make_run(other, None, "Running", T0, None, None)
    for event, run in ((busy, debounced), (busy, runs["dict"]), (idle, None)):
        Decision.objects.create(
            function=other, event=event, run=run, kind=DecisionKind.choices[0][0], created_at=T0
        )
    return {"runs": runs, "events": {"lone": lone, "busy": busy, "idle": idle}}
