"""Retention: the hourly purge and "clear history" delete what has ended and nothing a run still
needs."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.test import override_settings

from console.models import AuditEntry
from events.models import Event
from foundation import clock
from runs.models import App, Function, Run, RunStatus, Step
from runs.retention import clear_history, purge_expired

pytestmark = pytest.mark.django_db


def _event(days_ago: float) -> Event:
    return Event.objects.create(
        id=clock.new_id(),
        name="shop/order.placed",
        data={},
        ts=0,
        received_at=clock.now() - timedelta(days=days_ago),
    )


def _run(function: Function, event: Event, status: str, ended_days_ago: float | None) -> Run:
    ended = clock.now() - timedelta(days=ended_days_ago) if ended_days_ago is not None else None
    run = Run.objects.create(
        id=clock.new_id(),
        function=function,
        event=event,
        status=status,
        queued_at=event.received_at,
        ended_at=ended,
    )
    Step.objects.create(
        run=run,
        hashed_id="h",
        name="s",
        opcode="StepRun",
        status="Completed",
        started_at=clock.now(),
    )
    return run


@pytest.fixture
def world() -> dict:
    app = App.objects.create(name="shop", url="http://127.0.0.1:1/api/inngest")
    function = Function.objects.create(app=app, slug="shop-f", name="f", step_url=app.url)
    old_done = _run(function, _event(30), RunStatus.COMPLETED, 29)
    old_sleeping = _run(function, _event(30), RunStatus.SLEEPING, None)
    long_run_done = _run(function, _event(30), RunStatus.FAILED, 1)  # event old, run recent
    recent_done = _run(function, _event(1), RunStatus.COMPLETED, 1)
    orphan_old, orphan_new = _event(30), _event(1)
    return {
        "old_done": old_done,
        "old_sleeping": old_sleeping,
        "long_run_done": long_run_done,
        "recent_done": recent_done,
        "orphan_old": orphan_old,
        "orphan_new": orphan_new,
    }


def test_nothing_is_purged_without_a_retention_period(world: dict):
    with override_settings(RETENTION_DAYS=0):
        assert purge_expired() == {"runs": 0, "events": 0}
    assert Run.objects.count() == 4


def test_purge_drops_what_ended_before_the_period_and_keeps_what_runs_need(world: dict):
    with override_settings(RETENTION_DAYS=7):
        counts = purge_expired()
    assert counts == {"runs": 1, "events": 2}  # the old run's event and the old orphan
    kept = set(Run.objects.values_list("id", flat=True))
    assert kept == {world[k].id for k in ("old_sleeping", "long_run_done", "recent_done")}
    assert not Step.objects.filter(run_id=world["old_done"].id).exists()
    assert Event.objects.filter(pk=world["long_run_done"].event_id).exists()
    assert Event.objects.filter(pk=world["orphan_new"].id).exists()
    assert not Event.objects.filter(pk=world["orphan_old"].id).exists()


def test_clear_history_keeps_runs_in_progress_and_their_events(world: dict):
    call_command("clear_history")
    [left] = Run.objects.all()
    assert left.id == world["old_sleeping"].id
    assert list(Event.objects.values_list("id", flat=True)) == [left.event_id]
    assert AuditEntry.objects.get(action="history.clear").detail["runs"] == 3


@override_settings(REQUIRE_LOGIN=False)  # who may clear is tested in test_access_control
def test_clear_history_from_the_page_needs_a_post(client):
    assert client.get("/history/clear").status_code == 405
    response = client.post("/history/clear")
    assert response.status_code == 302
    assert clear_history() == {"runs": 0, "events": 0}
