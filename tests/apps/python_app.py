"""A test app on the official Python SDK, served by FastAPI; its functions mirror app.mjs.

Run: APP_ID=py-app PORT=... LOG_FILE=... INNGEST_DEV=1 INNGEST_BASE_URL=...
     python python_app.py
TRANSPORT=connect serves the same functions as a Connect worker instead (`inngest.connect`:
it dials in to the server, no PORT; INSTANCE_ID names it), so the SDK tests run both ways.
Events are named `<APP_ID>/<name>`. Each step body appends a line to LOG_FILE so tests
can count how often code really ran.
"""

import asyncio
import datetime
import os
import time
import uuid
from pathlib import Path

import fastapi
import inngest
import inngest.fast_api
import py_flow
import py_lifecycle
import py_race
import py_time_travel
import uvicorn
from inngest.connect import connect

LOG_FILE = Path(os.environ["LOG_FILE"])
APP_ID = os.environ.get("APP_ID", "py-app")
# INNGEST_DEV=0 (with INNGEST_SIGNING_KEY): production mode, as against a secured server.
client = inngest.Inngest(app_id=APP_ID, is_production=os.environ.get("INNGEST_DEV") == "0")


def on(name: str, expression: str | None = None) -> inngest.TriggerEvent:
    """Event names carry the app id, so several test apps can share one dev server."""
    return inngest.TriggerEvent(event=f"{APP_ID}/{name}", expression=expression)


def log(line: str) -> int:
    """Append `line`; return how many times it is now in the log."""
    with LOG_FILE.open("a") as handle:
        handle.write(line + "\n")
    return LOG_FILE.read_text().splitlines().count(line)


@client.create_function(fn_id="multi-step", trigger=on("multi"))
def multi_step(ctx: inngest.ContextSync) -> dict:
    log("outside")
    a = ctx.step.run("a", lambda: (log("step:a"), {"n": 1})[1])
    b = ctx.step.run("b", lambda: (log("step:b"), a["n"] + 1)[1])
    c = ctx.step.run("c", lambda: (log("step:c"), b + 1)[1])
    return {"a": a, "b": b, "c": c, "event": ctx.event.data}


@client.create_function(fn_id="sleepy", trigger=on("sleep"))
def sleepy(ctx: inngest.ContextSync) -> str:
    ctx.step.run("before", lambda: "before")
    seconds = int(ctx.event.data.get("seconds", 2))
    ctx.step.sleep("nap", datetime.timedelta(seconds=seconds))
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


@client.create_function(fn_id="non-retriable", trigger=on("nonretriable"), retries=3)
def non_retriable(ctx: inngest.ContextSync) -> None:
    def doomed() -> None:
        log("nonretriable:attempt")
        raise inngest.NonRetriableError("no way")

    ctx.step.run("doomed", doomed)


@client.create_function(fn_id="fails-once", trigger=on("failsonce"), retries=0)
def fails_once(ctx: inngest.ContextSync) -> dict:
    """The second step fails for good the first time a given `key` reaches it, then works:
    a retry of the failed run must succeed without running the first step again."""
    key = ctx.event.data.get("key", "")
    prepared = ctx.step.run("prepare", lambda: (log(f"prepare:{key}"), {"key": key})[1])

    def charge() -> dict:
        if log(f"charge:{key}") == 1:
            raise RuntimeError("card declined")  # no retries: the step fails, then the run
        return {"charged": prepared["key"]}

    return ctx.step.run("charge", charge)


@client.create_function(fn_id="big-output", trigger=on("big"))
def big_output(ctx: inngest.ContextSync) -> int:
    """A step output far over what the dashboard shows inline (it offers a download)."""
    blob = ctx.step.run("blob", lambda: {"text": "x" * 40_000 + "<end>"})
    return len(blob["text"])


@client.create_function(fn_id="retry-after", trigger=on("retryafter"), retries=3)
def retry_after(ctx: inngest.ContextSync) -> str:
    def later() -> str:
        if log("retryafter:attempt") == 1:
            raise inngest.RetryAfterError("wait", datetime.timedelta(seconds=2))
        return "ok"

    return ctx.step.run("later", later)


@client.create_function(
    fn_id="if-trigger",
    trigger=on("if", "event.data.amount > 10"),
)
def if_trigger(ctx: inngest.ContextSync) -> int:
    return ctx.event.data["amount"]


@client.create_function(fn_id="ten-steps", trigger=on("ten"))
def ten_steps(ctx: inngest.ContextSync) -> int:
    total = 0
    for index in range(10):
        total += ctx.step.run(f"s{index}", lambda index=index: index)
    return total


@client.create_function(
    fn_id="ten-steps-flow",
    trigger=on("ten-flow"),
    concurrency=[inngest.Concurrency(limit=10, key="event.name")],
    throttle=inngest.Throttle(limit=1000, period=datetime.timedelta(seconds=1), burst=100),
    rate_limit=inngest.RateLimit(limit=1000, period=datetime.timedelta(minutes=1)),
    idempotency="event.id",
    priority=inngest.Priority(run="0"),
)
def ten_steps_flow(ctx: inngest.ContextSync) -> int:
    """ten-steps behind every flow-control gate, none of which should hold it (bench)."""
    return sum(ctx.step.run(f"s{index}", lambda index=index: index) for index in range(10))


@client.create_function(fn_id="many-steps", trigger=on("many"))
def many_steps(ctx: inngest.ContextSync) -> int:
    """`data.steps` sequential steps (bench/long_run.py: how a run's cost grows with length)."""
    total = 0
    for index in range(int(ctx.event.data.get("steps", 100))):
        total += ctx.step.run(f"s{index}", lambda index=index: index)
    return total


@client.create_function(fn_id="blocking", trigger=on("blocking"))
def blocking(ctx: inngest.ContextSync) -> str:
    """Step `wait` blocks until the file named in the event exists (for kill tests)."""
    ctx.step.run("first", lambda: (log("step:first"), "first")[1])

    def wait() -> str:
        log("step:wait")
        gate = Path(ctx.event.data["gate"])
        import time

        while not gate.exists():
            time.sleep(0.05)
        return "opened"

    ctx.step.run("wait", wait)
    ctx.step.run("last", lambda: (log("step:last"), "last")[1])
    return "done"


@client.create_function(fn_id="loop-ids", trigger=on("loop"))
def loop_ids(ctx: inngest.ContextSync) -> list:
    """The same step id in a loop: the SDK suffixes repeats, each is its own memoized step."""
    return [ctx.step.run("same", lambda i=i: i) for i in range(3)]


@client.create_function(fn_id="versioned", trigger=on("versioned"))
def versioned(ctx: inngest.ContextSync) -> list:
    """APP_VERSION=2 renames the step after the sleep, as a new deploy would."""
    first = ctx.step.run("a", lambda: (log("step:a"), "a")[1])
    ctx.step.sleep("pause", datetime.timedelta(seconds=ctx.event.data.get("seconds", 3)))
    if os.environ.get("APP_VERSION") == "2":
        second = ctx.step.run("b-renamed", lambda: (log("step:b-renamed"), "b2")[1])
    else:
        second = ctx.step.run("b", lambda: (log("step:b"), "b")[1])
    return [first, second]


@client.create_function(fn_id="await-signal", trigger=on("await"))
def await_signal(ctx: inngest.ContextSync) -> dict:
    """A step, a wait for `signal` with the same key, a step (web-process kill tests)."""
    key = ctx.event.data["key"]
    ctx.step.run("before", lambda: (log(f"await:{key}:before"), key)[1])
    signal = ctx.step.wait_for_event(
        "signal",
        event=f"{APP_ID}/signal",
        if_exp="event.data.key == async.data.key",
        timeout=datetime.timedelta(seconds=ctx.event.data.get("timeout", 300)),
    )
    got = signal.data if signal else None
    ctx.step.run("after", lambda: (log(f"await:{key}:after"), got)[1])
    return {"signal": got}


def _soak_step(key: str, name: str, pause: float = 0.0) -> str:
    """Log `soak:<key>:<name>:<nonce>` and return the nonce: the stored output then names
    the execution that counted, so one logged after it would be a completed step run again.
    `pause` keeps the step in flight a while (so faults land mid-step)."""
    nonce = uuid.uuid4().hex[:12]
    with LOG_FILE.open("a") as handle:
        handle.write(f"soak:{key}:{name}:{nonce}\n")
    time.sleep(pause)
    return nonce


@client.create_function(fn_id="soak", trigger=on("soak"), retries=4)
def soak(ctx: inngest.ContextSync) -> dict:
    """The soak's mix (bench/soak.py): `kind` adds a sleep, a step failing twice, or a step
    that fails for good (the only runs meant to fail)."""
    key, kind = ctx.event.data["key"], ctx.event.data.get("kind", "multi")
    outputs = [ctx.step.run("a", lambda: _soak_step(key, "a"))]
    if kind == "sleepy":
        ctx.step.sleep("nap", datetime.timedelta(seconds=ctx.event.data.get("seconds", 3)))
    if kind == "flaky":

        def wobbly() -> str:
            if log(f"soak:{key}:wobbly-attempt") < 3:
                raise Exception("wobbly fails twice")
            return _soak_step(key, "wobbly")

        outputs.append(ctx.step.run("wobbly", wobbly))
    if kind == "doomed":

        def doomed() -> None:
            raise inngest.NonRetriableError("doomed by design")

        ctx.step.run("doomed", doomed)
    pause = float(ctx.event.data.get("pause", 0))
    outputs.append(ctx.step.run("b", lambda: _soak_step(key, "b", pause)))
    outputs.append(ctx.step.run("c", lambda: _soak_step(key, "c")))
    return {"key": key, "steps": outputs}


@client.create_function(fn_id="removable", trigger=on("removable"))
def removable(ctx: inngest.ContextSync) -> str:
    return "still here"


@client.create_function(fn_id="broken", trigger=on("broken", "event.data.amount >"))
def broken(ctx: inngest.ContextSync) -> str:
    return "never registered: its trigger expression does not compile"


functions = [
    multi_step,
    sleepy,
    flaky,
    non_retriable,
    fails_once,
    big_output,
    retry_after,
    if_trigger,
    ten_steps,
    ten_steps_flow,
    many_steps,
    blocking,
    loop_ids,
    versioned,
    await_signal,
    soak,
]
if os.environ.get("LIFECYCLE_FUNCTIONS", "1") == "1":
    functions += py_lifecycle.build(client, on, log, APP_ID)
    functions += py_flow.build(client, on, log)
    functions += py_race.build(client, on, log)
    functions += py_time_travel.build(client, on)
# EXTRA_FUNCTIONS=removable,broken adds functions used by the sync tests.
extras = {"removable": removable, "broken": broken}
functions += [extras[name] for name in os.environ.get("EXTRA_FUNCTIONS", "").split(",") if name]

app = fastapi.FastAPI()
inngest.fast_api.serve(app, client, functions)


async def serve_over_connect() -> None:
    """Dial in and serve until SIGTERM (the SDK then drains its in-flight steps)."""
    await connect([(client, functions)], instance_id=os.environ.get("INSTANCE_ID")).start()


if __name__ == "__main__":
    if os.environ.get("TRANSPORT") == "connect":
        asyncio.run(serve_over_connect())
    else:
        uvicorn.run(app, host="127.0.0.1", port=int(os.environ["PORT"]), log_level="warning")
