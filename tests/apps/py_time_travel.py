"""Python test functions that flow control holds for an hour, for time travel's "release
now" (tests/e2e/test_time_travel.py, tests/browser/test_time_travel.py): a debounce, a batch
and a throttle, each keyed by `event.data.user` so every test holds its own.
`build` is called by python_app.py with its client and helpers."""

import datetime
from collections.abc import Callable

import inngest

HOUR = datetime.timedelta(hours=1)


def build(
    client: inngest.Inngest, on: Callable[..., inngest.TriggerEvent]
) -> list[inngest.Function]:
    @client.create_function(
        fn_id="tt-debounced",
        trigger=on("tt-debounce"),
        debounce=inngest.Debounce(period=HOUR, key="event.data.user"),
    )
    def debounced(ctx: inngest.ContextSync) -> int:
        return ctx.event.data["n"]

    @client.create_function(
        fn_id="tt-batched",
        trigger=on("tt-batch"),
        batch_events=inngest.Batch(max_size=50, timeout=HOUR, key="event.data.user"),
    )
    def batched(ctx: inngest.ContextSync) -> list:
        return [event.data["n"] for event in ctx.events]

    @client.create_function(
        fn_id="tt-throttled",
        trigger=on("tt-throttle"),
        throttle=inngest.Throttle(limit=1, period=HOUR, key="event.data.user"),
    )
    def throttled(ctx: inngest.ContextSync) -> int:
        return ctx.event.data["n"]

    return [debounced, batched, throttled]
