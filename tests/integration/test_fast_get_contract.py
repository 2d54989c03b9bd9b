"""foundation/fast_get reads a row and its related rows as the ORM's
`select_related(...).defer(...).get(pk=...)` does: the same values (JSON decoded, datetimes
aware, the function's parsed spec), the same deferred fields, the related rows cached (no
query when they are used), None for a missing nullable one, DoesNotExist for no row. It leans
on Django internals (`Model.from_db`, the compiler's converters, `set_cached_value`), so a
Django upgrade that changes them fails here. Each test runs with the piece on and off."""

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from django.db import models

from events.models import Event
from foundation import clock, fast_get
from runs.models import App, Function, QueueItem, Run, RunStatus

pytestmark = pytest.mark.django_db

RELATED = ("function__app", "event")
DEFER = ("function__config", "function__triggers")
ZONE = timezone(timedelta(hours=5, minutes=30))
AT = datetime(2026, 11, 30, 12, 34, 56, 123456, tzinfo=ZONE)


@pytest.fixture(params=[True, False], ids=["fast", "orm"])
def fast(request: pytest.FixtureRequest, settings: Any) -> bool:
    settings.FAST_SQL = request.param
    return request.param


def _run(with_event: bool) -> Run:
    app = App.objects.create(
        name="shop", url=f"http://127.0.0.1:9/{clock.new_id()}", sdk="py:v0.5", synced_at=AT
    )
    function = Function.objects.create(
        app=app,
        slug=f"shop-{clock.new_id()}",
        name="Pay",
        config={"id": "pay", "retries": 2},
        triggers=[{"event": "shop/paid"}],
        step_url="http://127.0.0.1:9/api/inngest?fnId=pay",
        retries=2,
        paused_at=AT,
    )
    event = None
    if with_event:
        event = Event.objects.create(
            id=clock.new_id(), name="shop/paid", data={"n": 1.5, "é": [None]}, ts=7, received_at=AT
        )
    return Run.objects.create(
        id=clock.new_id(),
        function=function,
        event=event,
        status=RunStatus.RUNNING,
        output={"deep": {"list": [1, "✓"]}},
        queued_at=AT,
        started_at=AT + timedelta(seconds=1),
        batch_event_ids=["a", "b"],
        concurrency=[{"key": "k", "limit": 2}],
    )


def _values(instance: models.Model | None) -> dict[str, Any] | None:
    if instance is None:
        return None
    deferred = instance.get_deferred_fields()
    fields = instance._meta.concrete_fields
    return {f.attname: getattr(instance, f.attname) for f in fields if f.attname not in deferred}


@pytest.mark.parametrize("with_event", [True, False], ids=["event", "no-event"])
def test_a_run_reads_as_the_orm_reads_it(
    fast: bool, with_event: bool, django_assert_num_queries: Any
) -> None:
    stored = _run(with_event)
    expected = Run.objects.select_related(*RELATED).defer(*DEFER).get(pk=stored.pk)
    with django_assert_num_queries(1):  # the related rows came with it
        run = fast_get.get(Run, stored.pk, RELATED, DEFER)
        read = {
            "run": _values(run),
            "function": _values(run.function),
            "app": _values(run.function.app),
            "event": _values(run.event),
        }
    assert read == {
        "run": _values(expected),
        "function": _values(expected.function),
        "app": _values(expected.function.app),
        "event": _values(expected.event),
    }
    assert (read["event"] is None) is not with_event
    assert run.function.get_deferred_fields() == expected.function.get_deferred_fields()
    assert run.function.get_deferred_fields() == {"config", "triggers"}
    assert run.started_at == AT + timedelta(seconds=1)  # aware, microseconds kept
    assert run.function.spec == expected.function.spec
    assert not run._state.adding and run._state.db == "default"


def test_a_missing_row_raises_does_not_exist(fast: bool) -> None:
    with pytest.raises(Run.DoesNotExist):
        fast_get.get(Run, "01NOSUCHRUN0000000000000000", RELATED, DEFER)


def test_a_deferred_field_reads_when_asked_for(fast: bool) -> None:
    stored = _run(with_event=True)
    run = fast_get.get(Run, stored.pk, RELATED, DEFER)
    assert run.function.config == {"id": "pay", "retries": 2}  # loaded on first use, as Django


def test_a_row_without_related_rows_reads_as_the_orm_reads_it(
    fast: bool, django_assert_num_queries: Any
) -> None:
    run = _run(with_event=False)
    stored = QueueItem.objects.create(
        id=clock.new_id(),
        run=run,
        target_step="abc",
        attempt=3,
        due_at=AT,
        lease_owner="w#1",
        lease_until=AT + timedelta(seconds=30),
        created_at=AT,
        ckey1="fn:k",
    )
    with django_assert_num_queries(1):
        item = fast_get.get(QueueItem, stored.pk)
    assert _values(item) == _values(QueueItem.objects.get(pk=stored.pk))
    assert item.lease_until == AT + timedelta(seconds=30)
