"""Python SDK (PyPI inngest 0.5.19) app for function control (tests/e2e/test_function_control.py):
a cron trigger with `jitter` (TriggerCron(jitter=...)), a function to pause and resume, and a
sleeping function whose runs are in flight when it is paused; mirrors js/control_app.mjs.

Run: APP_ID=... PORT=... LOG_FILE=... INNGEST_DEV=1|0 INNGEST_BASE_URL=... python py_control.py
"""

import datetime
import os
from pathlib import Path

import fastapi
import inngest
import inngest.fast_api
import uvicorn

LOG_FILE = Path(os.environ["LOG_FILE"])
APP_ID = os.environ.get("APP_ID", "py-control")
client = inngest.Inngest(app_id=APP_ID, is_production=os.environ.get("INNGEST_DEV") == "0")


def log(line: str) -> None:
    with LOG_FILE.open("a") as handle:
        handle.write(line + "\n")


@client.create_function(fn_id="pausable", trigger=inngest.TriggerEvent(event=f"{APP_ID}/pausable"))
def pausable(ctx: inngest.ContextSync) -> dict:
    n = ctx.event.data["n"]
    return {"n": ctx.step.run("work", lambda: (log(f"pausable:{n}"), n)[1])}


@client.create_function(fn_id="napper", trigger=inngest.TriggerEvent(event=f"{APP_ID}/nap"))
def napper(ctx: inngest.ContextSync) -> str:
    n = ctx.event.data["n"]
    ctx.step.run("before", lambda: "before")
    seconds = int(ctx.event.data.get("seconds", 1))
    ctx.step.sleep("nap", datetime.timedelta(seconds=seconds))
    ctx.step.run("after", lambda: (log(f"napper:after:{n}"), "after")[1])
    return "done"


# A yearly schedule: the test reads its registration, it never waits for a tick.
@client.create_function(
    fn_id="jitter-cron", trigger=inngest.TriggerCron(cron="0 0 1 1 *", jitter="30s")
)
def jitter_cron(ctx: inngest.ContextSync) -> str:
    return "tick"


app = fastapi.FastAPI()
inngest.fast_api.serve(app, client, [pausable, napper, jitter_cron])

if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(os.environ["PORT"]), log_level="warning")
