"""Python test function for race-mode parallel steps (`group.parallel(...,
parallel_mode=ParallelMode.RACE)`): the run is resumed after each step of the group, so a
branch's second step runs while a slow branch (waiting for a gate file the test creates)
still runs. The Python SDK 0.5.19 has no signals."""

import time
from collections.abc import Callable
from pathlib import Path

import inngest


def build(client: inngest.Inngest, on: Callable, log: Callable[[str], int]) -> list:
    @client.create_function(fn_id="race", trigger=on("race"))
    def race(ctx: inngest.ContextSync) -> dict:
        gate = Path(ctx.event.data["gate"])

        def slow() -> str:
            while not gate.exists():
                time.sleep(0.05)
            log("race:slow-done")
            return "slow"

        def fast_branch() -> str:
            first = ctx.step.run("fast", lambda: "fast")
            return ctx.step.run("after-fast", lambda: (log(f"race:after:{first}"), first)[1])

        results = ctx.group.parallel(
            (lambda: ctx.step.run("slow", slow), fast_branch),
            parallel_mode=inngest.ParallelMode.RACE,
        )
        return {"results": list(results)}

    return [race]
