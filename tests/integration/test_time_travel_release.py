"""Time travel: release now what flow control holds. A debounce hold starts its run with the
last event, a partial batch with the events it has, a run queued behind a throttle is
admitted now while the runs queued after it keep their times; each audited, each refused
while DEVSERVER_TIME_TRAVEL is off or once there is nothing left to release."""

from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from console import actions
from console.models import AuditEntry
from flowcontrol.models import Pending
from runs.timetravel import NothingToMove, TimeTravelOff
from runs.timetravel_release import BadHoldKind

from .flow_setup import (
    decisions_for,
    frozen_clock_fixture,  # noqa: F401  (the frozen_clock fixture)
    items_of,
    runs_of,
    send,
    sync_function,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _time_travel_on(settings: Any) -> None:
    settings.TIME_TRAVEL = True


def test_a_debounce_released_now_starts_its_run_with_the_last_event(frozen_clock):
    function = sync_function(
        "held", "test/debounce", debounce={"period": "1h", "key": "event.data.u"}
    )
    events = [send("test/debounce", {"u": "u1", "n": n}) for n in range(3)]
    released = actions.release_hold_now(None, function, "debounce", "u1")
    [run] = runs_of(function)
    assert released.run_id == run.id and released.event_ids == [e.id for e in events]
    assert run.event_id == events[-1].id and run.batch_event_ids == []
    assert items_of(run)[0].due_at == frozen_clock.now()
    assert not Pending.objects.exists()
    assert all(decisions_for(event)[0].run == run for event in events)
    [entry] = AuditEntry.objects.filter(action="function.release_hold")
    assert entry.target == function.slug and entry.detail["run"] == run.id
    with pytest.raises(NothingToMove, match="holds no debounce"):
        actions.release_hold_now(None, function, "debounce", "u1")


def test_a_partial_batch_released_now_runs_with_the_events_so_far(frozen_clock):
    function = sync_function("batched", "test/batch", batchEvents={"maxSize": 10, "timeout": "1h"})
    events = [send("test/batch", {"n": n}) for n in range(3)]
    released = actions.release_hold_now(None, function, "batch", "")
    [run] = runs_of(function)
    assert released.run_id == run.id and run.batch_event_ids == [e.id for e in events]
    assert not Pending.objects.exists()
    # The next event opens a new batch, as after a flush at the batch's own time.
    send("test/batch", {"n": 3})
    assert Pending.objects.get().event_ids != run.batch_event_ids


def test_a_throttled_run_is_admitted_now_and_the_runs_after_it_keep_their_times(frozen_clock):
    function = sync_function("throttled", "test/throttle", throttle={"limit": 1, "period": "1h"})
    now = frozen_clock.now()
    for _ in range(3):
        send("test/throttle")
    first, second, third = runs_of(function)
    assert items_of(second)[0].due_at == now + timedelta(hours=1)
    actions.release_throttled_run_now(None, second.id)
    [item] = items_of(second)
    assert item.due_at == now and item.reason == "start"
    assert items_of(third)[0].due_at == now + timedelta(hours=2)
    [entry] = AuditEntry.objects.filter(action="run.release")
    assert entry.target == second.id
    for not_held in (second, first):  # released already; never throttled
        with pytest.raises(NothingToMove, match="not queued behind a throttle"):
            actions.release_throttled_run_now(None, not_held.id)
    assert AuditEntry.objects.count() == 1


def test_only_debounce_and_batch_holds_are_released_by_kind(frozen_clock):
    function = sync_function("held", "test/debounce", debounce={"period": "1h"})
    send("test/debounce")
    with pytest.raises(BadHoldKind):
        actions.release_hold_now(None, function, "throttle", "")
    assert Pending.objects.count() == 1 and not AuditEntry.objects.exists()


def test_a_console_without_time_travel_releases_nothing(frozen_clock, settings):
    settings.TIME_TRAVEL = False
    held = sync_function("held", "test/debounce", debounce={"period": "1h"})
    throttled = sync_function("throttled", "test/throttle", throttle={"limit": 1, "period": "1h"})
    send("test/debounce")
    send("test/throttle")
    late = send("test/throttle").runs.get()
    with pytest.raises(TimeTravelOff):
        actions.release_hold_now(None, held, "debounce", "")
    with pytest.raises(TimeTravelOff):
        actions.release_throttled_run_now(None, late.id)
    assert runs_of(held) == [] and Pending.objects.count() == 1
    assert items_of(late)[0].reason == "throttled" and len(runs_of(throttled)) == 2
    assert not AuditEntry.objects.exists()


def test_the_inspector_and_the_run_page_release_holds_and_throttled_runs(frozen_clock, client):
    held = sync_function("held", "test/debounce", debounce={"period": "1h", "key": "event.data.u"})
    throttled = sync_function("throttled", "test/throttle", throttle={"limit": 1, "period": "1h"})
    send("test/debounce", {"u": "u1"})
    send("test/throttle")
    late = send("test/throttle").runs.get()
    inspector = client.get(f"/functions/{held.slug}/inspector").content.decode()
    assert 'class="release-hold"' in inspector and 'value="u1"' in inspector
    answer = client.post(f"/functions/{held.slug}/release", {"kind": "debounce", "key": "u1"})
    assert answer.status_code == 302 and len(runs_of(held)) == 1
    assert (
        'class="release-run"'
        in client.get(f"/functions/{throttled.slug}/inspector").content.decode()
    )
    assert 'id="release-run"' in client.get(f"/runs/{late.id}/").content.decode()
    client.post(f"/runs/{late.id}/release", {"back": "inspector"})
    assert items_of(late)[0].reason == "start"
    assert 'id="release-run"' not in client.get(f"/runs/{late.id}/").content.decode()


def test_the_command_line_releases_a_throttled_run_and_says_when_it_cannot(frozen_clock):
    sync_function("throttled", "test/throttle", throttle={"limit": 1, "period": "1h"})
    send("test/throttle")
    late = send("test/throttle").runs.get()
    out = StringIO()
    call_command("runs", "release", late.id, stdout=out)
    assert "released now" in out.getvalue() and items_of(late)[0].reason == "start"
    with pytest.raises(CommandError, match="not queued behind a throttle"):
        call_command("runs", "release", late.id)
    with pytest.raises(CommandError, match="kind must be one of debounce, batch"):
        call_command("functions", "release", late.function.slug, "--hold", "throttle")
