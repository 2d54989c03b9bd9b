"""Flow control through the official Python SDK: rateLimit drops, debounce keeps the last
event, batches hand many events to one run, idempotency, throttle queues, singleton.

Times are compared with the events' own arrival and the order of things, never with how long
the test waited: a run that must be busy while the test does something holds a gate file the
test opens, and a run that must still be asleep sleeps far longer than the test needs."""

import time
from datetime import datetime
from pathlib import Path

import pytest

from tests.harness import DevServer, SdkApp, wait_until


@pytest.fixture
def py(shared: dict) -> SdkApp:
    return shared["apps"]["py"]


# A singleton's step.sleep: long past anything the test does while the run is active.
LONG_HOLD = 600


def decisions(server: DevServer, **filters: str) -> list[dict]:
    return server.http.get("/api/decisions", params=filters).json()


def _received_at(server: DevServer, event_id: str) -> datetime:
    received = server.http.get(f"/v1/events/{event_id}").json()["data"]["received_at"]
    return datetime.fromisoformat(received.replace("Z", "+00:00"))


def runs_of(server: DevServer, app: SdkApp, function: str) -> list[dict]:
    runs = server.http.get("/api/runs", params={"function": app.slug(function), "limit": 200})
    return runs.json()["runs"]


def test_rate_limit_runs_once_and_records_the_skips(server: DevServer, py: SdkApp):
    ids = server.send([{"name": py.event("rate"), "data": {"user": "u-rate"}} for _ in range(3)])
    run = server.wait_run(ids[0], py.slug("rate-limited"))
    assert run["output"] == "u-rate"
    for skipped in ids[1:]:
        assert server.runs_for_event(skipped) == []
        [decision] = decisions(server, event=skipped)
        assert decision["kind"] == "rate_limited" and decision["key"] == "u-rate"
    # Another key is not limited.
    [other] = server.send({"name": py.event("rate"), "data": {"user": "u-other"}})
    assert server.wait_run(other, py.slug("rate-limited"))["status"] == "Completed"


def test_debounce_starts_one_run_with_the_last_event(server: DevServer, py: SdkApp):
    ids = server.send(
        [{"name": py.event("debounce"), "data": {"user": "d1", "n": n}} for n in range(5)]
    )
    run = server.wait_run(ids[-1], py.slug("debounced"), timeout=20)
    assert run["status"] == "Completed" and run["output"] == 4
    assert [r["run_id"] for r in server.runs_for_event(ids[0])] == [run["id"]]
    assert all(d["kind"] == "debounced" for i in ids for d in decisions(server, event=i))


def test_debounce_timeout_caps_the_total_wait(server: DevServer, py: SdkApp):
    """Events keep coming well within the 2 s period until the run has started, and one more
    after: only the 5 s timeout can have started it, with an event that others followed."""
    sent: list[str] = []

    def send_next() -> None:
        data = {"user": "d2", "n": len(sent)}
        sent.extend(server.send({"name": py.event("debounce"), "data": data}))

    while not (sent and server.runs_for_event(sent[0])):
        assert len(sent) < 60, "no run started while the events kept coming"
        send_next()
        time.sleep(0.5)  # pacing the sender is the point of this test, not waiting for a result
    send_next()
    run = server.wait_run(sent[0], py.slug("debounced"), timeout=20)
    assert run["output"] < len(sent) - 1


def test_batch_of_five_events_runs_once_with_all_of_them(server: DevServer, py: SdkApp):
    ids = server.send([{"name": py.event("batch"), "data": {"n": n}} for n in range(5)])
    run = server.wait_run(ids[0], py.slug("batched"))
    assert run["status"] == "Completed" and run["output"] == [0, 1, 2, 3, 4]
    assert all(server.runs_for_event(i)[0]["run_id"] == run["id"] for i in ids)


def test_partial_batch_flushes_on_timeout(server: DevServer, py: SdkApp):
    ids = server.send([{"name": py.event("batch"), "data": {"n": n}} for n in (10, 11)])
    run = server.wait_run(ids[0], py.slug("batched"), timeout=20)
    assert run["output"] == [10, 11]
    queued = datetime.fromisoformat(run["queued_at"].replace("Z", "+00:00"))
    # The 3 s batch timeout counts from the first event's admission, after it was received.
    assert (queued - _received_at(server, ids[0])).total_seconds() >= 2.5


def test_idempotency_key_starts_one_run(server: DevServer, py: SdkApp):
    first, again = server.send(
        [{"name": py.event("idempotent"), "data": {"order": "o-1"}} for _ in range(2)]
    )
    assert server.wait_run(first, py.slug("idempotent"))["output"] == "o-1"
    assert server.runs_for_event(again) == []
    assert decisions(server, event=again)[0]["kind"] == "idempotency_hit"


def test_throttle_queues_and_spaces_runs_by_the_period(server: DevServer, py: SdkApp):
    ids = server.send(
        [{"name": py.event("throttle"), "data": {"user": "t1", "n": n}} for n in range(3)]
    )
    runs = [server.wait_run(i, py.slug("throttled"), timeout=20) for i in ids]
    assert [r["output"] for r in runs] == [0, 1, 2]  # none dropped
    starts = sorted(datetime.fromisoformat(r["started_at"].replace("Z", "+00:00")) for r in runs)
    # Slots 2 s apart from the events' arrival: the n-th start is no earlier than its slot (a
    # late start of one run never makes the next one look early, as gaps between starts did).
    arrived = min(_received_at(server, i) for i in ids)
    after = [(start - arrived).total_seconds() for start in starts]
    assert all(seconds >= 2 * n - 0.01 for n, seconds in enumerate(after)), after


def test_singleton_skip_drops_events_while_a_run_is_active(server: DevServer, py: SdkApp):
    data = {"user": "s", "n": 1, "hold": LONG_HOLD}
    [first] = server.send({"name": py.event("singleton-skip"), "data": data})
    active = server.wait_run(first, py.slug("singleton-skip"), {"Sleeping"})
    [second] = server.send({"name": py.event("singleton-skip"), "data": {"user": "s", "n": 2}})
    [decision] = wait_until(lambda: decisions(server, event=second), 30, "the skip")
    assert decision["kind"] == "singleton_skipped"
    assert server.runs_for_event(second) == []
    assert server.run(active["id"])["status"] == "Sleeping"  # undisturbed by the skipped event
    assert server.http.delete(f"/v1/runs/{active['id']}").status_code == 200


def test_singleton_cancel_replaces_the_active_run(server: DevServer, py: SdkApp):
    data = {"user": "c", "n": 1, "hold": LONG_HOLD}
    [first] = server.send({"name": py.event("singleton-cancel"), "data": data})
    server.wait_run(first, py.slug("singleton-cancel"), {"Sleeping"})
    [second] = server.send({"name": py.event("singleton-cancel"), "data": {"user": "c", "n": 2}})
    assert server.wait_run(first, py.slug("singleton-cancel"))["status"] == "Cancelled"
    assert server.wait_run(second, py.slug("singleton-cancel"))["output"] == 2


def test_concurrency_one_per_key_never_overlaps_while_other_keys_proceed(
    server, py: SdkApp, tmp_path: Path
):
    """Key A's first run and key B's run hold their step until the gate opens, and it opens
    once both are in it and a queued run of A says why it waits: B then ran beside A."""
    py.clear_log()
    gate = tmp_path / "gate"
    data = {"work": 0.5, "gate": str(gate)}
    events = [{"name": py.event("concurrency"), "data": {**data, "user": "A"}}] * 3
    events.append({"name": py.event("concurrency"), "data": {**data, "user": "B"}})
    ids = server.send(events)
    key = f"fn:{py.slug('one-at-a-time')}:A"

    def one_says_why() -> bool:  # a queued run of key A says which key it waits behind
        for event_id in ids[:3]:
            for run in server.runs_for_event(event_id):
                pending = server.run(run["run_id"])["pending"]
                if pending and pending[0]["waiting_on_concurrency_key"] == key:
                    return True
        return False

    def both_in_their_step() -> bool:
        lines = py.log_lines()
        return "concurrency:A" in lines and "concurrency:B" in lines

    wait_until(both_in_their_step, 30, "key A's first run and key B's run in their step")
    wait_until(one_says_why, 30, "a queued run to report the key it waits on")
    assert py.log_lines().count("concurrency:A") == 1  # the others of key A wait
    gate.touch()
    runs = [server.wait_run(i, py.slug("one-at-a-time"), timeout=30) for i in ids]
    spans_a = sorted(r["output"] for r in runs[:3])
    for (_, end), (start, _) in zip(spans_a, spans_a[1:], strict=False):
        assert start >= end - 0.01, f"user A steps overlapped: {spans_a}"
    start_b, end_b = runs[3]["output"]
    assert any(s < end_b and start_b < e for s, e in spans_a), "key B should not wait for A"


def test_priority_reorders_a_backlog(server: DevServer, py: SdkApp, tmp_path: Path):
    """The blocker holds the one slot until every run of the backlog is queued behind it."""
    py.clear_log()
    gate = tmp_path / "gate"
    data = {"priority": 0, "gate": str(gate)}
    [blocker] = server.send({"name": py.event("priority"), "data": data})
    wait_until(lambda: "priority:0" in py.log_lines(), 30, "the blocker in its step")
    backlog = server.send(
        [{"name": py.event("priority"), "data": {"priority": p}} for p in (1, 300, 50)]
    )

    def queued() -> bool:
        listed = [r for event_id in backlog for r in server.runs_for_event(event_id)]
        runs = [server.run(r["run_id"]) for r in listed]
        return len(runs) == 3 and all(r["status"] == "Queued" for r in runs)

    wait_until(queued, 30, "the backlog queued behind the blocker")
    gate.touch()
    server.wait_run(blocker, py.slug("prioritized"), timeout=30)
    for event_id in backlog:
        server.wait_run(event_id, py.slug("prioritized"), timeout=30)
    order = [line for line in py.log_lines() if line.startswith("priority:")]
    assert order == ["priority:0", "priority:300", "priority:50", "priority:1"]
    waiting = decisions(server, function=py.slug("prioritized"))
    assert waiting == []  # concurrency queues; it never skips


def test_account_scope_key_is_shared_across_functions(server: DevServer, py: SdkApp):
    ids = server.send(
        [
            {"name": py.event("account-a"), "data": {}},
            {"name": py.event("account-b"), "data": {}},
            {"name": py.event("account-a"), "data": {}},
        ]
    )
    slugs = [py.slug("account-a"), py.slug("account-b"), py.slug("account-a")]
    spans = sorted(
        server.wait_run(i, slug, timeout=30)["output"] for i, slug in zip(ids, slugs, strict=True)
    )
    for (_, end), (start, _) in zip(spans, spans[1:], strict=False):
        assert start >= end - 0.01, f"steps sharing the account key overlapped: {spans}"


def test_cancel_on_drops_a_debounced_event_before_its_run_starts(server: DevServer, py: SdkApp):
    """A debounce of 10 minutes holds the events for as long as the test needs: the cancel
    reaches its event before the run could start, whatever the machine's speed, and drops only
    the hold it matches."""
    slug = py.slug("debounced-long")

    def held_keys() -> list[str]:
        flow = server.http.get(f"/api/functions/{slug}/flow").json()
        return sorted(h["key"] for h in flow["holds"])

    [held, kept] = server.send(
        [
            {"name": py.event("debounce-long"), "data": {"user": "d-stop", "n": 1}},
            {"name": py.event("debounce-long"), "data": {"user": "d-go", "n": 2}},
        ]
    )
    wait_until(lambda: held_keys() == ["d-go", "d-stop"], 30, "both events held")
    server.send({"name": "flow/stop", "data": {"user": "d-stop"}})
    wait_until(lambda: len(decisions(server, event=held)) == 2, 30, "the cancel recorded")
    kinds = [d["kind"] for d in decisions(server, event=held)]
    assert kinds == ["cancelled", "debounced"]
    assert held_keys() == ["d-go"]  # a debounce that was not cancelled
    assert server.runs_for_event(held) == [] and server.runs_for_event(kept) == []
    server.send({"name": "flow/stop", "data": {"user": "d-go"}})  # no run left for later
    wait_until(lambda: held_keys() == [], 30, "the other hold dropped")
