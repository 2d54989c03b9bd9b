"""A Connect worker on the official Python SDK (`inngest.connect`): it dials in to the server
instead of serving HTTP. Its functions are the HTTP test app's kinds: multi-step, sleep,
retry, waitForEvent, and a slow step for the fault tests.

Run: APP_ID=py-connect LOG_FILE=... INNGEST_DEV=1 INNGEST_BASE_URL=... [INSTANCE_ID=...]
     [MAX_CONCURRENCY=n] [HEARTBEAT_SECONDS=n] python py_connect.py
HEARTBEAT_SECONDS stretches the SDK's heartbeat interval (its test override): with a large one
the worker beats once on connecting, then falls silent while it keeps running steps.
Each step body appends a line to LOG_FILE (with the instance id for `slow`), so tests count
how often code really ran and where.
"""

import asyncio
import datetime
import os
import time
from pathlib import Path

import inngest
from inngest.connect import connect

# The SDK's own test hook for its intervals (not exported from inngest.connect).
from inngest.connect._internal.connect import connect_test_overrides

LOG_FILE = Path(os.environ["LOG_FILE"])
APP_ID = os.environ.get("APP_ID", "py-connect")
INSTANCE = os.environ.get("INSTANCE_ID", f"py-{os.getpid()}")
client = inngest.Inngest(app_id=APP_ID, is_production=os.environ.get("INNGEST_DEV") == "0")


def on(name: str) -> inngest.TriggerEvent:
    return inngest.TriggerEvent(event=f"{APP_ID}/{name}")


def log(line: str) -> int:
    with LOG_FILE.open("a") as handle:
        handle.write(line + "\n")
    return LOG_FILE.read_text().splitlines().count(line)


@client.create_function(fn_id="multi-step", trigger=on("multi"))
def multi_step(ctx: inngest.ContextSync) -> dict:
    a = ctx.step.run("a", lambda: (log("step:a"), {"n": 1})[1])
    b = ctx.step.run("b", lambda: (log("step:b"), a["n"] + 1)[1])
    c = ctx.step.run("c", lambda: (log("step:c"), b + 1)[1])
    return {"a": a, "b": b, "c": c, "event": ctx.event.data}


@client.create_function(fn_id="ten-steps", trigger=on("ten"))
def ten_steps(ctx: inngest.ContextSync) -> int:
    total = 0
    for i in range(10):
        total += ctx.step.run(f"s{i}", lambda i=i: i)
    return total


@client.create_function(fn_id="sleepy", trigger=on("sleep"))
def sleepy(ctx: inngest.ContextSync) -> str:
    ctx.step.run("before", lambda: "before")
    ctx.step.sleep("nap", datetime.timedelta(seconds=int(ctx.event.data.get("seconds", 2))))
    ctx.step.run("after", lambda: (log("step:after"), "after")[1])
    return "done"


@client.create_function(fn_id="flaky", trigger=on("flaky"), retries=3)
def flaky(ctx: inngest.ContextSync) -> dict:
    def wobbly() -> dict:
        count = log("flaky:attempt")
        if count < 3:
            raise Exception(f"boom {count}")
        return {"attempts": count}

    return ctx.step.run("wobbly", wobbly)


@client.create_function(fn_id="waiter", trigger=on("wait"))
def waiter(ctx: inngest.ContextSync) -> dict:
    got = ctx.step.wait_for_event(
        "approval",
        event=f"{APP_ID}/approved",
        if_exp="event.data.key == async.data.key",
        timeout=datetime.timedelta(seconds=30),
    )
    return {"approved": None if got is None else got.data}


@client.create_function(fn_id="slow", trigger=on("slow"), retries=2)
def slow(ctx: inngest.ContextSync) -> dict:
    # `seconds_on` gives one instance its own duration (a fault test keeps one busy for long);
    # `gate` (a file's path) holds the step until that file exists, however long that takes.
    seconds = ctx.event.data.get("seconds_on", {}).get(INSTANCE, ctx.event.data.get("seconds", 3))
    gate = ctx.event.data.get("gate")

    def work() -> str:
        log(f"slow:start:{INSTANCE}")
        if gate:
            while not Path(gate).exists():
                time.sleep(0.05)
        else:
            time.sleep(float(seconds))
        log(f"slow:end:{INSTANCE}")
        return INSTANCE

    where = ctx.step.run("work", work)
    done = ctx.step.run("after", lambda: (log("slow:after"), "ok")[1])
    return {"worker": where, "after": done}


FUNCTIONS = [multi_step, ten_steps, sleepy, flaky, waiter, slow]


async def main() -> None:
    capacity = os.environ.get("MAX_CONCURRENCY")
    heartbeat = os.environ.get("HEARTBEAT_SECONDS")
    with connect_test_overrides(heartbeat_interval_sec=int(heartbeat) if heartbeat else None):
        conn = connect(
            [(client, FUNCTIONS)],
            instance_id=INSTANCE,
            max_worker_concurrency=int(capacity) if capacity else None,
        )
    await conn.start()


if __name__ == "__main__":
    asyncio.run(main())
