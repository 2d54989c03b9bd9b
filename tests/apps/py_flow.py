"""Python test functions for flow control: rateLimit, debounce, batchEvents, idempotency,
throttle and singleton. `build` is called by python_app.py with its client and helpers.

A step given a `gate` (a file's path) in its event holds until that file exists, so a test
keeps a run busy for as long as it needs, not for a time it hopes is long enough."""

import datetime
import time
from collections.abc import Callable
from pathlib import Path

import inngest

seconds = datetime.timedelta


def build(
    client: inngest.Inngest, on: Callable[..., inngest.TriggerEvent], log: Callable[[str], int]
) -> list[inngest.Function]:
    def through_gate(data: dict) -> None:
        if data.get("gate"):
            gate = Path(data["gate"])
            while not gate.exists():
                time.sleep(0.05)

    @client.create_function(
        fn_id="rate-limited",
        trigger=on("rate"),
        rate_limit=inngest.RateLimit(limit=1, period=seconds(minutes=1), key="event.data.user"),
    )
    def rate_limited(ctx: inngest.ContextSync) -> str:
        return ctx.event.data["user"]

    @client.create_function(
        fn_id="debounced",
        trigger=on("debounce"),
        debounce=inngest.Debounce(
            period=seconds(seconds=2), key="event.data.user", timeout=seconds(seconds=5)
        ),
        cancel=[inngest.Cancel(event="flow/stop", if_exp="event.data.user == async.data.user")],
    )
    def debounced(ctx: inngest.ContextSync) -> int:
        return ctx.event.data["n"]

    @client.create_function(
        fn_id="debounced-long",
        trigger=on("debounce-long"),
        debounce=inngest.Debounce(period=seconds(minutes=10), key="event.data.user"),
        cancel=[inngest.Cancel(event="flow/stop", if_exp="event.data.user == async.data.user")],
    )
    def debounced_long(ctx: inngest.ContextSync) -> int:
        """Holds an event for as long as a test needs (until a cancel, in practice)."""
        return ctx.event.data["n"]

    @client.create_function(
        fn_id="batched",
        trigger=on("batch"),
        batch_events=inngest.Batch(max_size=5, timeout=seconds(seconds=3)),
    )
    def batched(ctx: inngest.ContextSync) -> list:
        return [event.data["n"] for event in ctx.events]

    @client.create_function(
        fn_id="idempotent", trigger=on("idempotent"), idempotency="event.data.order"
    )
    def idempotent(ctx: inngest.ContextSync) -> str:
        return ctx.event.data["order"]

    @client.create_function(
        fn_id="throttled",
        trigger=on("throttle"),
        throttle=inngest.Throttle(limit=1, period=seconds(seconds=2), key="event.data.user"),
    )
    def throttled(ctx: inngest.ContextSync) -> int:
        return ctx.event.data["n"]

    def singleton(mode: str) -> inngest.Function:
        @client.create_function(
            fn_id=f"singleton-{mode}",
            trigger=on(f"singleton-{mode}"),
            singleton=inngest.Singleton(key="event.data.user", mode=mode),
        )
        def only_one(ctx: inngest.ContextSync) -> int:
            ctx.step.sleep("hold", seconds(seconds=ctx.event.data.get("hold", 3)))
            return ctx.event.data["n"]

        return only_one

    @client.create_function(
        fn_id="one-at-a-time",
        trigger=on("concurrency"),
        concurrency=[inngest.Concurrency(limit=1, key="event.data.user")],
    )
    def one_at_a_time(ctx: inngest.ContextSync) -> list:
        def work() -> list:
            started = time.time()
            log(f"concurrency:{ctx.event.data['user']}")
            through_gate(ctx.event.data)
            time.sleep(ctx.event.data.get("work", 1.0))
            return [started, time.time()]

        return ctx.step.run("work", work)

    @client.create_function(
        fn_id="prioritized",
        trigger=on("priority"),
        concurrency=[inngest.Concurrency(limit=1)],
        priority=inngest.Priority(run="event.data.priority"),
    )
    def prioritized(ctx: inngest.ContextSync) -> int:
        def work() -> int:
            log(f"priority:{ctx.event.data['priority']}")
            through_gate(ctx.event.data)
            time.sleep(ctx.event.data.get("work", 0.3))
            return ctx.event.data["priority"]

        return ctx.step.run("work", work)

    def shares_account_slot(name: str) -> inngest.Function:
        @client.create_function(
            fn_id=f"account-{name}",
            trigger=on(f"account-{name}"),
            concurrency=[inngest.Concurrency(limit=1, key='"shared-llm"', scope="account")],
        )
        def use_shared_resource(ctx: inngest.ContextSync) -> list:
            def work() -> list:
                started = time.time()
                time.sleep(0.8)
                return [started, time.time()]

            return ctx.step.run("work", work)

        return use_shared_resource

    return [
        shares_account_slot("a"),
        shares_account_slot("b"),
        one_at_a_time,
        prioritized,
        rate_limited,
        debounced,
        debounced_long,
        batched,
        idempotent,
        throttled,
        singleton("skip"),
        singleton("cancel"),
    ]
