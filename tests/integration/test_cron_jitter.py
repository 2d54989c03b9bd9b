"""Cron `jitter`: parsed once into the spec, stored with the trigger, and each tick's run
queued a random offset in [0, jitter) after the tick; every tick still starts exactly one run."""

from datetime import timedelta

import pytest

from foundation import clock
from runs.crons import claim_tick, fire_due_crons
from runs.models import App, CronTrigger, Function, QueueItem, Run
from runs.registration import parse_registration, register
from runs.statuses import RunStatus
from tests.integration.drive import run_until_quiet
from tests.integration.fake_sdk import FakeSdk, completed
from tests.integration.flow_setup import (
    FrozenClock,
    frozen_clock_fixture,  # noqa: F401  (the frozen_clock fixture)
)

pytestmark = pytest.mark.django_db

URL = "http://127.0.0.1:9/api/inngest"


def _register(trigger: dict) -> App:
    function = {
        "id": "cron-app-tick",
        "name": "tick",
        "triggers": [trigger],
        "steps": {"step": {"id": "step", "name": "step", "runtime": {"type": "http", "url": URL}}},
    }
    body = {"url": URL, "appName": "cron-app", "functions": [function]}
    return register(parse_registration(body), default_retries=4).app


def _due_now() -> CronTrigger:
    cron = CronTrigger.objects.get()
    CronTrigger.objects.filter(pk=cron.pk).update(next_fire_at=clock.now() - timedelta(seconds=1))
    return CronTrigger.objects.get(pk=cron.pk)


def test_jitter_is_parsed_once_and_stored_with_the_cron_trigger():
    _register({"cron": "*/5 * * * *", "jitter": "1m30s"})
    [trigger] = Function.objects.get().spec.triggers
    assert trigger.jitter == timedelta(seconds=90)
    assert CronTrigger.objects.get().jitter == timedelta(seconds=90)

    _register({"cron": "*/5 * * * *", "jitter": None})  # the Python SDK's "no jitter"
    assert CronTrigger.objects.get().jitter is None


def test_a_bad_jitter_is_a_registration_error_naming_the_field():
    with pytest.raises(Exception, match=r"trigger 0\.jitter: invalid duration"):
        _register({"cron": "*/5 * * * *", "jitter": "soon"})
    assert not CronTrigger.objects.exists()


def test_each_tick_starts_one_run_up_to_jitter_after_the_tick():
    _register({"cron": "* * * * *", "jitter": "30s"})
    offsets = set()
    for _ in range(20):
        stale = _due_now()  # what a second beat read at the same time
        ticked_at = clock.now()
        assert fire_due_crons() == 1
        assert claim_tick(stale, clock.now()) is False  # the other beat starts nothing
        item = QueueItem.objects.order_by("-id").first()
        assert item is not None
        offset = item.due_at - ticked_at
        assert timedelta(0) <= offset < timedelta(seconds=30) + (clock.now() - ticked_at)
        offsets.add(round(offset.total_seconds()))
    assert Run.objects.count() == 20
    assert len(offsets) > 1, "every tick got the same delay: no jitter"


def test_a_jittered_run_starts_only_once_its_offset_has_passed(
    fake_sdk: FakeSdk, frozen_clock: FrozenClock
):
    """On a clock that stands still: a second before the offset ends is a second before,
    however long the machine takes between the steps."""
    fake_sdk.add_function("fake-tick", [completed("tick")], triggers=[{"cron": "* * * * *"}])
    fake_sdk.sync()
    CronTrigger.objects.update(jitter=timedelta(hours=1))
    _due_now()
    assert fire_due_crons() == 1
    [run] = Run.objects.all()
    due_at = QueueItem.objects.get(run=run).due_at
    frozen_clock.at = due_at - timedelta(seconds=1)
    run_until_quiet()
    assert fake_sdk.calls() == [] and Run.objects.get().status == RunStatus.QUEUED
    frozen_clock.advance(seconds=2)
    run_until_quiet()
    assert Run.objects.get().status == RunStatus.COMPLETED
