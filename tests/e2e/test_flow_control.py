"""Flow control through the official Python SDK: rateLimit drops, debounce keeps the last
event, batches hand many events to one run, idempotency, throttle queues, singleton."""

import time
from datetime import datetime

import pytest

from tests.harness import DevServer, SdkApp, wait_until


@pytest.fixture
def py(shared: dict) -> SdkApp:
    return shared["apps"]["py"]


def decisions(server: DevServer, **filters: str) -> list[dict]:
    return server.http.get("/api/decisions", params=filters).json()


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
    first = datetime.now().astimezone()
    sent = []
    for n in range(8):  # a new event every second: the 2 s period never runs out
        sent += server.send({"name": py.event("debounce"), "data": {"user": "d2", "n": n}})
        time.sleep(1)  # pacing the sender is the point of this test, not waiting for a result
    run = server.wait_run(sent[0], py.slug("debounced"), timeout=20)
    started = datetime.fromisoformat(run["queued_at"].replace("Z", "+00:00"))
    assert (started - first).total_seconds() < 6.5  # the 5 s timeout fired, not the period
    assert run["output"] < 7


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
    [decision, *_] = decisions(server, event=ids[0])
    held = datetime.fromisoformat(decision["created_at"].replace("Z", "+00:00"))
    assert (queued - held).total_seconds() >= 2.5


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
    gaps = [(b - a).total_seconds() for a, b in zip(starts, starts[1:], strict=False)]
    # Queued 2 s apart; the actual start of each may lag its slot by a dispatch (~0.1-0.3 s).
    assert all(gap >= 1.5 for gap in gaps), gaps
    assert (starts[-1] - starts[0]).total_seconds() >= 3.5, gaps


def test_singleton_skip_drops_events_while_a_run_is_active(server: DevServer, py: SdkApp):
    [first] = server.send({"name": py.event("singleton-skip"), "data": {"user": "s", "n": 1}})
    server.wait_run(first, py.slug("singleton-skip"), {"Sleeping"})
    [second] = server.send({"name": py.event("singleton-skip"), "data": {"user": "s", "n": 2}})
    assert server.wait_run(first, py.slug("singleton-skip"))["output"] == 1
    assert server.runs_for_event(second) == []
    assert decisions(server, event=second)[0]["kind"] == "singleton_skipped"


def test_singleton_cancel_replaces_the_active_run(server: DevServer, py: SdkApp):
    [first] = server.send({"name": py.event("singleton-cancel"), "data": {"user": "c", "n": 1}})
    server.wait_run(first, py.slug("singleton-cancel"), {"Sleeping"})
    [second] = server.send({"name": py.event("singleton-cancel"), "data": {"user": "c", "n": 2}})
    assert server.wait_run(first, py.slug("singleton-cancel"))["status"] == "Cancelled"
    assert server.wait_run(second, py.slug("singleton-cancel"))["output"] == 2


def test_concurrency_one_per_key_never_overlaps_while_other_keys_proceed(server, py: SdkApp):
    events = [{"name": py.event("concurrency"), "data": {"user": "A", "work": 1.0}}] * 3
    events.append({"name": py.event("concurrency"), "data": {"user": "B", "work": 1.0}})
    ids = server.send(events)
    key = f"fn:{py.slug('one-at-a-time')}:A"

    def one_says_why() -> bool:  # a queued run of key A says which key it waits behind
        for event_id in ids[:3]:
            for run in server.runs_for_event(event_id):
                pending = server.run(run["run_id"])["pending"]
                if pending and pending[0]["waiting_on_concurrency_key"] == key:
                    return True
        return False

    wait_until(one_says_why, 10, "a queued run to report the key it waits on")
    runs = [server.wait_run(i, py.slug("one-at-a-time"), timeout=30) for i in ids]
    spans_a = sorted(r["output"] for r in runs[:3])
    for (_, end), (start, _) in zip(spans_a, spans_a[1:], strict=False):
        assert start >= end - 0.01, f"user A steps overlapped: {spans_a}"
    start_b, end_b = runs[3]["output"]
    assert any(s < end_b and start_b < e for s, e in spans_a), "key B should not wait for A"


def test_priority_reorders_a_backlog(server: DevServer, py: SdkApp):
    py.clear_log()
    [blocker] = server.send({"name": py.event("priority"), "data": {"priority": 0, "work": 1.5}})
    server.wait_run(blocker, py.slug("prioritized"), {"Running"})
    backlog = server.send(
        [{"name": py.event("priority"), "data": {"priority": p}} for p in (1, 300, 50)]
    )
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
    [held] = server.send({"name": py.event("debounce"), "data": {"user": "d-stop", "n": 1}})
    server.send({"name": "flow/stop", "data": {"user": "d-stop"}})
    [later] = server.send({"name": py.event("debounce"), "data": {"user": "d-go", "n": 2}})
    server.wait_run(later, py.slug("debounced"), timeout=20)  # a debounce that was not cancelled
    assert server.runs_for_event(held) == []
    kinds = [d["kind"] for d in decisions(server, event=held)]
    assert kinds == ["cancelled", "debounced"]
