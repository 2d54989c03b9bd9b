"""The scale-out bench's app (bench/scale_out.py): official Python SDK, async, on uvicorn, one
function whose steps each wait STEP_MS on I/O, so many runs wait at once for little app CPU.

Run: APP_ID=... PORT=... STEP_MS=50 STEPS=10 INNGEST_DEV=0 INNGEST_SIGNING_KEY=...
     INNGEST_BASE_URL=... python -m bench.io_app
The function is `<APP_ID>-io-steps`, triggered by `<APP_ID>/io`.
"""

import asyncio
import os

import fastapi
import inngest
import inngest.fast_api
import uvicorn

APP_ID = os.environ.get("APP_ID", "io-app")
STEP_S = float(os.environ.get("STEP_MS", "50")) / 1000
STEPS = int(os.environ.get("STEPS", "10"))
client = inngest.Inngest(app_id=APP_ID, is_production=os.environ.get("INNGEST_DEV") == "0")


async def _wait(index: int) -> int:
    # Stands for a call to another service: the step holds no CPU while it waits, so only the
    # server's workers (how many steps they call at once) bound the runs per second.
    await asyncio.sleep(STEP_S)
    return index


@client.create_function(fn_id="io-steps", trigger=inngest.TriggerEvent(event=f"{APP_ID}/io"))
async def io_steps(ctx: inngest.Context) -> int:
    total = 0
    for index in range(STEPS):
        total += await ctx.step.run(f"s{index}", _wait, index)
    return total


app = fastapi.FastAPI()
inngest.fast_api.serve(app, client, [io_steps])

if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(os.environ["PORT"]), log_level="warning")
