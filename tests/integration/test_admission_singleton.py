"""singleton: one active run per key. `skip` drops events while it runs; `cancel` cancels the
active run and starts the new one."""

import pytest

from flowcontrol.models import DecisionKind
from runs.cancellation import cancel_run
from runs.models import RunStatus

from .flow_setup import decisions_for, runs_of, send, sync_function

pytestmark = pytest.mark.django_db

EVENT = "test/singleton"


def singleton(mode: str):
    return sync_function(
        f"singleton-{mode}", EVENT, singleton={"key": "event.data.user", "mode": mode}
    )


def test_singleton_skip_drops_an_event_while_a_run_is_active_and_records_it():
    function = singleton("skip")
    send(EVENT, {"user": "u1"})
    skipped = send(EVENT, {"user": "u1"})
    [run] = runs_of(function)
    assert run.singleton_key == "u1" and run.status == RunStatus.QUEUED
    assert not skipped.runs.exists()
    [decision] = decisions_for(skipped)
    assert decision.kind == DecisionKind.SINGLETON_SKIPPED and run.id in decision.detail


def test_singleton_skip_starts_again_once_the_active_run_ended():
    function = singleton("skip")
    first = send(EVENT, {"user": "u1"})
    cancel_run(first.runs.get().id)
    again = send(EVENT, {"user": "u1"})
    assert again.runs.exists() and len(runs_of(function)) == 2


def test_singleton_keys_do_not_block_each_other():
    function = singleton("skip")
    send(EVENT, {"user": "u1"})
    send(EVENT, {"user": "u2"})
    assert sorted(run.singleton_key for run in runs_of(function)) == ["u1", "u2"]


def test_singleton_cancel_cancels_the_active_run_and_starts_the_new_one():
    function = singleton("cancel")
    first = send(EVENT, {"user": "u1"})
    second = send(EVENT, {"user": "u1"})
    old, new = runs_of(function)
    assert old.event_id == first.id and old.status == RunStatus.CANCELLED
    assert second.id in old.error["message"]
    assert new.event_id == second.id and new.status == RunStatus.QUEUED
    assert not old.queue_items.exists() and new.queue_items.count() == 1
    [decision] = decisions_for(second)
    assert decision.kind == DecisionKind.SINGLETON_CANCELLED and decision.run == new
    assert old.id in decision.detail


def test_singleton_without_a_key_allows_one_run_of_the_function():
    function = sync_function("singleton-global", EVENT, singleton={"mode": "skip"})
    send(EVENT, {"user": "u1"})
    send(EVENT, {"user": "u2"})
    [run] = runs_of(function)
    assert run.singleton_key == "-"
