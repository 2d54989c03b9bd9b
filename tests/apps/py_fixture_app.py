"""Runs-as-fixtures test app on the official Python SDK (0.5.19): its function is run on the
dev server, exported as a fixture and replayed offline (sdk_helpers/python/inngest_fixtures.py),
or imported into another server and rerun from a step against this app run as the fixed code.

`<APP_ID>/checkout` {items, user, card}: a quote (stamped with the time), a note twice (one step
id in a loop, random each), a fraud check that fails for good and is caught, then the charge:
with card "declined" it fails and so does the run, unless FIXTURE_FIXED=1 (the code after the
bug fix). Run again, every step would return other values: a replay equal to the run used its
memos.

Run: APP_ID=... PORT=... INNGEST_DEV=1 INNGEST_BASE_URL=... [FIXTURE_FIXED=1] python
py_fixture_app.py
"""

import os
import random
import time
import uuid

import fastapi
import inngest
import inngest.fast_api
import uvicorn

APP_ID = os.environ.get("APP_ID", "fixture-py")
FIXED = os.environ.get("FIXTURE_FIXED") == "1"
client = inngest.Inngest(app_id=APP_ID, is_production=os.environ.get("INNGEST_DEV") == "0")


def _fraud_check() -> dict:
    raise ValueError(f"risk {random.random():.6f} over the limit")


@client.create_function(
    fn_id="checkout", trigger=inngest.TriggerEvent(event=f"{APP_ID}/checkout"), retries=0
)
def checkout(ctx: inngest.ContextSync) -> dict:
    items = ctx.event.data["items"]
    quote = ctx.step.run("quote", lambda: {"cents": items * 250, "at": time.time()})
    notes = [ctx.step.run("note", lambda: uuid.uuid4().hex) for _ in range(2)]
    try:
        fraud = ctx.step.run("fraud-check", _fraud_check)
    except inngest.StepError as err:
        fraud = {"flagged": err.message}

    def charge() -> dict:
        if ctx.event.data.get("card") == "declined" and not FIXED:
            raise ValueError(f"card declined for {quote['cents']} cents")
        return {"id": f"ch_{uuid.uuid4().hex[:12]}", "cents": quote["cents"]}

    return {
        "quote": quote,
        "notes": notes,
        "fraud": fraud,
        "charge": ctx.step.run("charge", charge),
    }


app = fastapi.FastAPI()
inngest.fast_api.serve(app, client, [checkout])

if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(os.environ["PORT"]), log_level="warning")
