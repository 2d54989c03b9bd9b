"""Pausing a function (runs/pausing.py): events start nothing and are recorded as skipped, cron
ticks start nothing, runs in flight hold their next step; resuming lets them go on and replays
nothing. API, page and command each go through one audited operator action."""

from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from console.models import AuditEntry
from flowcontrol.models import Decision, DecisionKind
from foundation import clock
from runs.crons import fire_due_crons
from runs.models import CronTrigger, Function, Run
from runs.statuses import RunStatus
from tests.integration.drive import TimeTravel, run_until_quiet, send_event
from tests.integration.fake_sdk import FakeSdk, completed, ops, sleep


@pytest.fixture(autouse=True)
def _open_console(settings: Any) -> None:
    """The dev console (no login): the pages and API as an operator uses them."""
    settings.REQUIRE_LOGIN = False


def _pause(client: Client, slug: str, action: str = "pause") -> int:
    return client.post(f"/api/functions/{slug}/{action}").status_code


def test_events_for_a_paused_function_are_skipped_and_not_replayed(fake_sdk: FakeSdk):
    fake_sdk.add_function("fake-hello", [completed("after resume")])
    fake_sdk.sync()
    client = Client()
    assert _pause(client, "fake-hello") == 200
    assert _pause(client, "fake-hello") == 409  # paused already: nothing changes

    assert send_event("test/go", {"n": 1}) == []
    [decision] = Decision.objects.all()
    assert decision.kind == DecisionKind.PAUSED and decision.function.slug == "fake-hello"
    page = client.get(f"/events/{decision.event_id}/").content.decode()
    assert "fake-hello" in page and "the function is paused" in page

    assert _pause(client, "fake-hello", "resume") == 200
    run_until_quiet()
    assert Run.objects.count() == 0  # the skipped event is not replayed
    [run] = send_event("test/go", {"n": 2})
    run_until_quiet()
    assert Run.objects.get(pk=run.pk).status == RunStatus.COMPLETED
    actions = list(AuditEntry.objects.order_by("id").values_list("action", "target"))
    assert actions == [("function.pause", "fake-hello"), ("function.resume", "fake-hello")]


def test_a_run_in_flight_holds_its_next_step_until_resumed(
    fake_sdk: FakeSdk, time_travel: TimeTravel
):
    fake_sdk.add_function("fake-nap", [ops(sleep("nap", "10s")), completed("rested")])
    fake_sdk.sync()
    [run] = send_event("test/go")
    run_until_quiet()
    assert Run.objects.get(pk=run.pk).status == RunStatus.SLEEPING

    call_command("functions", "pause", "fake-nap", stdout=StringIO())
    time_travel.advance(60)  # well past the wake-up
    run_until_quiet()
    assert len(fake_sdk.calls("fake-nap")) == 1  # the step after the sleep did not run
    assert Run.objects.get(pk=run.pk).status != RunStatus.COMPLETED

    out = StringIO()
    call_command("functions", "resume", "fake-nap", stdout=out)
    assert "1 held step(s) woken" in out.getvalue()
    run_until_quiet()
    assert Run.objects.get(pk=run.pk).status == RunStatus.COMPLETED
    with pytest.raises(CommandError, match="not paused"):
        call_command("functions", "resume", "fake-nap", stdout=StringIO())


def test_a_paused_function_s_cron_ticks_start_nothing(fake_sdk: FakeSdk):
    fake_sdk.add_function("fake-tick", [completed("tick")], triggers=[{"cron": "* * * * *"}])
    fake_sdk.sync()
    Client().post("/functions/fake-tick/pause")  # the page's button
    assert Function.objects.get(slug="fake-tick").paused_at is not None
    CronTrigger.objects.update(next_fire_at=clock.now() - timedelta(seconds=1))
    fired_at = clock.now()
    assert fire_due_crons() == 0
    assert Run.objects.count() == 0
    assert CronTrigger.objects.get().next_fire_at > fired_at  # the tick is gone, not kept
    Client().post("/functions/fake-tick/resume")
    assert fire_due_crons() == 0 and Run.objects.count() == 0  # nothing replayed on resume
    assert AuditEntry.objects.filter(action="function.resume").count() == 1
