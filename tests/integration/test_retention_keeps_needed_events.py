"""Clearing history and the retention purge never delete an event that unfinished work still
needs: a running batched run's events, and the events a pending debounce or batch holds."""

from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.test import override_settings

from events.models import Event
from flowcontrol.models import Decision, DecisionKind, Pending
from foundation import clock
from runs.models import BulkAction, Run, RunStatus
from runs.retention import clear_history, purge_expired
from runs.statuses import BulkStatus
from runs.triggers import start_held_runs
from tests.integration.flow_setup import FrozenClock, runs_of, send, sync_function

pytestmark = pytest.mark.django_db

BATCH_OF_THREE = {"batchEvents": {"maxSize": 3, "timeout": "1h"}}


@pytest.fixture
def month_ago(monkeypatch: pytest.MonkeyPatch) -> Iterator[FrozenClock]:
    """The clock stands 30 days back (move it with `advance`); events sent now are old."""
    fake = FrozenClock(clock.now() - timedelta(days=30))
    monkeypatch.setattr(clock, "now", fake.now)
    yield fake


def _exist(ids: list[str]) -> list[str]:
    return sorted(Event.objects.filter(pk__in=ids).values_list("pk", flat=True))


def _batched_run(name: str) -> tuple[Run, list[str]]:
    """A batch of three filled up: one run, unfinished, pointing at all three events."""
    function = sync_function(name, f"test/{name}", **BATCH_OF_THREE)
    ids = [send(f"test/{name}", {"n": n}).id for n in range(3)]
    [run] = runs_of(function)
    assert run.batch_event_ids == ids and run.status == RunStatus.QUEUED
    return run, ids


def test_clear_history_keeps_every_event_of_an_unfinished_batched_run():
    run, ids = _batched_run("batch-clear")
    clear_history()
    assert _exist(ids) == sorted(ids)
    assert Decision.objects.filter(event_id__in=ids, run=run).count() == 3


def test_purge_keeps_every_old_event_of_an_unfinished_batched_run(month_ago: FrozenClock):
    run, ids = _batched_run("batch-purge")
    orphan = send("test/nobody-listens").id
    month_ago.advance(days=30)
    with override_settings(RETENTION_DAYS=7):
        counts = purge_expired()
    assert _exist(ids) == sorted(ids)
    assert counts["events"] == 1 and not Event.objects.filter(pk=orphan).exists()


def test_purge_keeps_the_old_events_of_a_recently_ended_batched_run(month_ago: FrozenClock):
    run, ids = _batched_run("batch-ended")
    month_ago.advance(days=29)
    Run.objects.filter(pk=run.pk).update(status=RunStatus.COMPLETED, ended_at=clock.now())
    month_ago.advance(days=1)
    with override_settings(RETENTION_DAYS=7):
        purge_expired()
    assert Run.objects.filter(pk=run.pk).exists()
    assert _exist(ids) == sorted(ids)  # its page still shows the batch it ran on


def test_a_debounced_event_survives_a_clear_and_its_run_starts(month_ago: FrozenClock):
    function = sync_function("debounced", "test/debounced", debounce={"period": "10s"})
    first, last = send("test/debounced", {"n": 1}), send("test/debounced", {"n": 2})
    assert Pending.objects.filter(function=function).exists() and not runs_of(function)
    clear_history()
    month_ago.advance(seconds=11)
    assert start_held_runs() == 1
    [run] = runs_of(function)
    assert run.event_id == last.id
    assert Decision.objects.get(event=last).kind == DecisionKind.DEBOUNCED
    # The earlier event was folded in: its decision still says into which run.
    assert Decision.objects.get(event=first).run_id == run.id


def test_a_partial_batch_survives_a_clear_and_its_run_gets_every_event(month_ago: FrozenClock):
    batch = {"maxSize": 5, "timeout": "10s"}
    function = sync_function("partial", "test/partial", batchEvents=batch)
    ids = [send("test/partial", {"n": n}).id for n in range(2)]
    clear_history()
    month_ago.advance(seconds=11)
    assert start_held_runs() == 1
    [run] = runs_of(function)
    assert run.batch_event_ids == ids


@pytest.mark.parametrize(
    "hold",
    [{"debounce": {"period": "40d"}}, {"batchEvents": {"maxSize": 5, "timeout": "40d"}}],
    ids=["debounce", "batch"],
)
def test_purge_keeps_old_events_a_pending_debounce_or_batch_holds(
    month_ago: FrozenClock, hold: dict
):
    function = sync_function("held", "test/held", **hold)
    held = [send("test/held", {"n": n}).id for n in range(2)]
    month_ago.advance(days=30)
    with override_settings(RETENTION_DAYS=7):
        purge_expired()
    assert _exist(held) == sorted(held)
    assert start_held_runs() == 0  # nothing was due: the events are still held
    month_ago.advance(days=11)
    assert start_held_runs() == 1
    [run] = runs_of(function)
    assert run.event_id == held[-1] if "debounce" in hold else run.batch_event_ids == held


def test_an_event_a_pending_row_holds_is_kept_when_it_appears_mid_purge(
    month_ago: FrozenClock, monkeypatch: pytest.MonkeyPatch
):
    """The check and the delete of a batch happen in one transaction, after the batch's
    events are chosen: a hold taken on an old event between the two is seen."""
    from runs import retention

    function = sync_function("late-hold", "test/late-hold", debounce={"period": "40d"})
    old = send("test/unheld").id
    month_ago.advance(days=30)
    chosen = retention._choose_batch

    def choose_then_hold(*args, **kwargs):
        ids = chosen(*args, **kwargs)
        if old in ids:
            Pending.objects.create(
                function=function,
                kind="debounce",
                event_ids=[old],
                first_at=clock.now(),
                due_at=clock.now() + timedelta(days=1),
            )
        return ids

    monkeypatch.setattr(retention, "_choose_batch", choose_then_hold)
    with override_settings(RETENTION_DAYS=7):
        purge_expired()
    assert Event.objects.filter(pk=old).exists()


def test_events_are_deleted_in_batches_and_kept_ones_are_passed_over(
    month_ago: FrozenClock, monkeypatch: pytest.MonkeyPatch
):
    from runs import retention

    run, kept = _batched_run("batch-many")
    unused = [send("test/nobody-listens", {"n": n}).id for n in range(7)]
    month_ago.advance(days=30)
    monkeypatch.setattr(retention, "BATCH", 2)
    with override_settings(RETENTION_DAYS=7):
        counts = purge_expired()
    assert counts["events"] == len(unused)
    assert _exist(kept + unused) == sorted(kept)


def test_clear_history_keeps_bulk_actions_not_yet_done():
    now = clock.now()
    actions = {
        status: BulkAction.objects.create(
            kind="cancel", status=status, created_at=now, heartbeat_at=now
        ).pk
        for status in BulkStatus
    }
    clear_history()
    left = set(BulkAction.objects.values_list("status", flat=True))
    assert left == {BulkStatus.PREVIEW, BulkStatus.QUEUED, BulkStatus.RUNNING}
    assert not BulkAction.objects.filter(pk=actions[BulkStatus.COMPLETED]).exists()
