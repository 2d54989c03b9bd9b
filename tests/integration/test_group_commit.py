"""Group commit (events/group_commit.py): concurrent requests' events are stored in one
transaction, each request answered with its own ids once it committed; a request whose events
cannot be stored gets the error and nothing of it is stored, while the others of its group are
stored all the same; dedupe by sender id and by the SDK's seed holds across a group."""

import asyncio
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from events.group_commit import GroupCommitter, Submission, commit_group
from events.ingest import IncomingEvent
from events.models import Event
from events.seeds import seeded_ids
from events.signals import events_stored
from tests import one_loop

pytestmark = pytest.mark.django_db(transaction=True)  # the committer thread has a connection

REFUSED = "test/refused-by-a-receiver"


def _event(name: str, number: int = 0, external_id: str = "") -> IncomingEvent:
    return IncomingEvent(
        name=name,
        data={"n": number},
        user={},
        external_id=external_id,
        ts=None,
        version="",
        size_bytes=20,
    )


@pytest.fixture
def refusing_receiver() -> Iterator[None]:
    """A receiver of `events_stored` (as runs/triggers.py is one) that fails for one event
    name: the storing transaction rolls back, as any error inside it would."""

    def refuse(sender: Any, events: list[Event], **_: Any) -> None:
        if any(event.name == REFUSED for event in events):
            raise RuntimeError("this receiver refuses the event")

    events_stored.connect(refuse, dispatch_uid="test-refuse")
    yield
    events_stored.disconnect(dispatch_uid="test-refuse")


def test_concurrent_requests_are_all_stored_each_answered_with_its_own_ids() -> None:
    committer = GroupCommitter()
    answers: dict[int, list[str]] = {}

    def client(first: int) -> None:
        for number in range(first, first + 25):
            size = 1 + number % 3
            events = [_event("test/group", number * 10 + i) for i in range(size)]
            answers[number] = committer.submit(events, None).result(timeout=60)

    threads = [threading.Thread(target=client, args=(t * 25,)) for t in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(answers) == 200
    stored = dict(Event.objects.values_list("id", "data"))
    assert len(stored) == sum(1 + n % 3 for n in range(200))
    for number, ids in answers.items():
        # Each request's ids, in its order, are exactly its own events.
        assert [stored[i]["n"] for i in ids] == [number * 10 + i for i in range(1 + number % 3)]


def test_a_request_that_cannot_be_stored_gets_the_error_and_the_rest_of_its_group_is_stored(
    refusing_receiver: None,
) -> None:
    group = [
        Submission([_event("test/ok", 1)], None),
        Submission([_event("test/ok", 2), _event(REFUSED, 3)], None),
        Submission([_event("test/ok", 4)], None),
    ]
    commit_group(group)
    with pytest.raises(RuntimeError, match="refuses"):
        group[1].future.result(timeout=0)
    kept = [group[0].future.result(timeout=0), group[2].future.result(timeout=0)]
    assert sorted(Event.objects.values_list("data__n", flat=True)) == [1, 4]
    assert sorted(Event.objects.values_list("id", flat=True)) == sorted(sum(kept, []))


def test_a_refused_request_through_the_committer_thread_stores_nothing(
    refusing_receiver: None,
) -> None:
    committer = GroupCommitter()
    refused = committer.submit([_event("test/ok", 7), _event(REFUSED, 8)], None)
    with pytest.raises(RuntimeError):
        refused.result(timeout=60)
    assert not Event.objects.exists()
    [stored] = committer.submit([_event("test/ok", 9)], None).result(timeout=60)
    assert list(Event.objects.values_list("id", flat=True)) == [stored]


def test_a_retried_send_in_the_same_group_is_stored_once() -> None:
    seed = "1700000000000,AAECAwQFBgcICQ=="
    ids = seeded_ids(seed, 2)
    group = [
        Submission([_event("test/seeded", 1), _event("test/seeded", 2)], ids),
        Submission([_event("test/seeded", 1), _event("test/seeded", 2)], ids),
        Submission([_event("test/other", 3)], None),
    ]
    commit_group(group)
    assert group[0].future.result(timeout=0) == group[1].future.result(timeout=0) == ids
    assert Event.objects.filter(name="test/seeded").count() == 2
    assert Event.objects.filter(name="test/other").count() == 1


def test_a_sender_id_repeated_across_a_group_is_stored_once() -> None:
    group = [
        Submission([_event("test/dedupe", 1, external_id="order-1")], None),
        Submission([_event("test/dedupe", 2, external_id="order-1")], None),
    ]
    commit_group(group)
    first, second = (s.future.result(timeout=0) for s in group)
    assert first == second and Event.objects.count() == 1


@pytest.fixture
def transactions() -> Iterator[list[int]]:
    """The size of each storing transaction: `events_stored` is sent once per transaction."""
    sizes: list[int] = []

    def count(sender: Any, events: list[Event], **_: Any) -> None:
        sizes.append(len(events))

    events_stored.connect(count, dispatch_uid="test-count")
    yield sizes
    events_stored.disconnect(dispatch_uid="test-count")


def _one_turn(committer: GroupCommitter, requests: list[list[IncomingEvent]]) -> list[list[str]]:
    """Each request stored through `store` from tasks started in one turn of a loop."""

    async def turn() -> list[list[str]]:
        return await asyncio.gather(*(committer.store(events, None) for events in requests))

    return one_loop.run(turn())


def test_requests_of_one_turn_of_the_loop_are_committed_together_each_answered_with_its_own(
    transactions: list[int],
) -> None:
    answers = _one_turn(GroupCommitter(), [[_event("test/turn", n)] for n in range(8)])
    assert transactions == [8]  # one group, one transaction
    stored = dict(Event.objects.values_list("id", "data"))
    assert [stored[id_]["n"] for [id_] in answers] == list(range(8))


def test_a_refused_request_of_a_turn_gets_its_error_on_the_loop_and_the_others_are_stored(
    refusing_receiver: None,
) -> None:
    committer = GroupCommitter()

    async def one_turn() -> list[Any]:
        stores = [
            committer.store([_event("test/ok", 1)], None),
            committer.store([_event(REFUSED, 2)], None),
            committer.store([_event("test/ok", 3)], None),
        ]
        return await asyncio.gather(*stores, return_exceptions=True)

    first, refused, last = one_loop.run(one_turn())
    assert isinstance(refused, RuntimeError)
    assert sorted(Event.objects.values_list("id", flat=True)) == sorted(first + last)


def test_a_turn_of_big_requests_is_stored_in_transactions_under_the_cap(
    transactions: list[int],
) -> None:
    requests = [[_event("test/big", n * 10 + i) for i in range(4)] for n in range(5)]
    answers = _one_turn(GroupCommitter(max_events=10), requests)
    assert sorted(transactions) == [4, 8, 8]  # no transaction past the cap of 10
    stored = dict(Event.objects.values_list("id", "data"))
    assert [[stored[i]["n"] for i in ids] for ids in answers] == [
        [n * 10 + i for i in range(4)] for n in range(5)
    ]
