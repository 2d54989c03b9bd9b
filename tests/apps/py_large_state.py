"""Large-state test app on the official Python SDK (0.5.19): a function whose steps return
`size` bytes each, `count` times, then checks every output it gets back on replay (from the
request, or from GET /v0/runs/{id}/actions once the server says use_api). Each execution
request's body size is appended to BODY_LOG, so the test can hold the server to its limit.

Run: APP_ID=... PORT=... BODY_LOG=... INNGEST_DEV=1 INNGEST_BASE_URL=... python py_large_state.py
"""

import os

import fastapi
import inngest
import inngest.fast_api
import uvicorn

APP_ID = os.environ.get("APP_ID", "py-large")
BODY_LOG = os.environ.get("BODY_LOG", os.devnull)
client = inngest.Inngest(app_id=APP_ID, is_production=os.environ.get("INNGEST_DEV") == "0")


@client.create_function(fn_id="big", trigger=inngest.TriggerEvent(event=f"{APP_ID}/big"))
async def big(ctx: inngest.Context) -> dict:
    count, size = int(ctx.event.data["count"]), int(ctx.event.data["size"])
    intact = 0
    for i in range(count):

        async def output(i: int = i) -> str:
            return str(i % 10) * size

        value = await ctx.step.run(f"part-{i}", output)
        intact += value == str(i % 10) * size
    return {"steps": count, "intact": intact, "events": len(ctx.events)}


app = fastapi.FastAPI()


@app.middleware("http")
async def log_body_size(request: fastapi.Request, call_next):  # type: ignore[no-untyped-def]
    if request.method == "POST":
        with open(BODY_LOG, "a") as log:
            log.write(f"{request.headers.get('content-length', '0')}\n")
    return await call_next(request)


inngest.fast_api.serve(app, client, [big])

if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(os.environ["PORT"]), log_level="warning")
