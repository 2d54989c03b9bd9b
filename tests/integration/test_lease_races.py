"""Leases under races: of two claims of one item only one wins, and an executor whose lease
was taken over while it called the app stores nothing; the new holder runs the step."""

from datetime import timedelta

from foundation import clock
from runs import queue
from runs.models import QueueItem, RunStatus
from tests.integration.drive import run_until_quiet, send_event
from tests.integration.fake_sdk import FakeSdk, SdkRequest, completed, hashed, ops, step_run


def _lapse(item_id: str) -> None:
    QueueItem.objects.filter(pk=item_id).update(lease_until=clock.now() - timedelta(seconds=1))


def test_of_two_claims_of_one_item_only_the_first_wins(fake_sdk: FakeSdk):
    fake_sdk.add_function("fake-claimed", [])
    fake_sdk.sync()
    [run] = send_event("test/go")
    item_id = run.queue_items.get().id

    first, second = queue.claim(item_id), queue.claim(item_id)

    assert first is not None and second is None
    assert QueueItem.objects.get(pk=item_id).lease_owner == first.lease_owner


def test_a_stale_executor_whose_lease_was_taken_stores_nothing(fake_sdk: FakeSdk):
    taken: list[str] = []

    def first_call_loses_its_lease(request: SdkRequest):
        if not taken:  # another worker takes the item while this call is in flight
            [item] = QueueItem.objects.filter(run_id=request.ctx["run_id"])
            _lapse(item.id)
            thief = queue.claim(item.id)
            assert thief is not None
            taken.append(thief.lease_owner)
            return ops(step_run("pay", "stale"))
        if hashed("pay") in request.steps:
            return completed(request.steps[hashed("pay")])
        return ops(step_run("pay", "fresh"))

    fake_sdk.add_function("fake-raced", first_call_loses_its_lease)
    fake_sdk.sync()

    [run] = send_event("test/go")
    run_until_quiet()

    run.refresh_from_db()
    assert not run.steps.exists()  # the stale answer was refused
    [item] = run.queue_items.all()
    assert item.lease_owner == taken[0]

    _lapse(item.id)  # the thief dies too; its lease lapses and the item runs again
    run_until_quiet()
    run.refresh_from_db()
    assert run.status == RunStatus.COMPLETED and run.output == {"data": "fresh"}
    assert list(run.steps.values_list("memo", flat=True)) == [{"data": "fresh"}]
