"""Fixtures for the flow-control tests: a function synced the way an SDK registers it, events
sent through the ingest path, and a clock the test moves by hand."""

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest

from events.ingest import parse_body, store_events
from events.models import Event
from flowcontrol.models import Decision
from foundation import clock
from runs.models import Function, QueueItem, Run
from runs.registration import parse_registration, register

APP_URL = "http://127.0.0.1:3939/api/inngest"
APP_NAME = "flow-app"


@dataclass
class FrozenClock:
    """`foundation.clock.now` stands still until the test moves it (ids still come from ULIDs)."""

    at: datetime

    def now(self) -> datetime:
        return self.at

    def advance(self, **delta: float) -> datetime:
        self.at += timedelta(**delta)
        return self.at


@pytest.fixture(name="frozen_clock")
def frozen_clock_fixture(monkeypatch: pytest.MonkeyPatch) -> Iterator[FrozenClock]:
    """clock.now() is the seam every module reads time through; freeze it at the real now.
    Import `frozen_clock_fixture` into a test module to use the `frozen_clock` fixture."""
    fake = FrozenClock(clock.now())
    monkeypatch.setattr(clock, "now", fake.now)
    yield fake


def function_config(fn_id: str, event: str, **options: Any) -> dict[str, Any]:
    """One function as the JS SDK 3.x registers it (`options` are the flow-control keys)."""
    slug = f"{APP_NAME}-{fn_id}"
    return {
        "id": slug,
        "name": fn_id.replace("-", " ").title(),
        "triggers": [{"event": event}],
        "steps": {
            "step": {
                "id": "step",
                "name": "step",
                "runtime": {"type": "http", "url": f"{APP_URL}?fnId={slug}&stepId=step"},
                "retries": {"attempts": 0},
            }
        },
        **options,
    }


def sync_function(fn_id: str, event: str, **options: Any) -> Function:
    """Sync the app with this function added (or changed) beside those synced before, through
    the registration path, and return its row."""
    config = function_config(fn_id, event, **options)
    others = Function.objects.filter(app__name=APP_NAME, archived=False).exclude(slug=config["id"])
    body = {
        "url": APP_URL,
        "v": "0.1",
        "deployType": "ping",
        "sdk": "js:v3.54.2",
        "framework": "express",
        "appName": APP_NAME,
        "functions": [*(function.config for function in others), config],
    }
    register(parse_registration(body), default_retries=4)
    return Function.objects.get(slug=config["id"])


def send(name: str, data: dict[str, Any] | None = None, **fields: Any) -> Event:
    """Store one event as `POST /e/{key}` does (parse, then store; the signal starts runs)."""
    raw = json.dumps({"name": name, "data": data or {}, **fields}).encode()
    result = store_events(parse_body(raw))
    return Event.objects.get(pk=result.ids[0])


def runs_of(function: Function) -> list[Run]:
    """The function's runs, oldest first."""
    return list(Run.objects.filter(function=function).order_by("id"))


def decisions_for(event: Event) -> list[Decision]:
    return list(Decision.objects.filter(event=event).order_by("id"))


def items_of(run: Run) -> list[QueueItem]:
    return list(QueueItem.objects.filter(run=run).order_by("id"))
