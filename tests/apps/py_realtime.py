"""Realtime test app on the official Python SDK (0.5.19 `inngest.experimental.realtime`): a
function that publishes to channel `orders:<order>` during its run, from a step (async
`publish`) and from a sync step (`publish_sync`), plus a message on topic `secret`.

Run: APP_ID=... PORT=... INNGEST_DEV=1 INNGEST_BASE_URL=... python py_realtime.py
"""

import os

import fastapi
import inngest
import inngest.fast_api
import uvicorn
from inngest.experimental import realtime

APP_ID = os.environ.get("APP_ID", "py-rt-app")
client = inngest.Inngest(app_id=APP_ID, is_production=os.environ.get("INNGEST_DEV") == "0")


@client.create_function(fn_id="publish", trigger=inngest.TriggerEvent(event=f"{APP_ID}/publish"))
async def publish(ctx: inngest.Context) -> dict:
    channel = f"orders:{ctx.event.data['order']}"

    async def packed() -> str:
        await realtime.publish(client, channel, "status", {"status": "packed"})
        await realtime.publish(client, channel, "secret", {"card": "4242"})
        return "published"

    def shipped() -> str:
        realtime.publish_sync(client, channel, "status", {"status": "shipped"})
        return "published"

    await ctx.step.run("packed", packed)
    await ctx.step.run("shipped", shipped)
    return {"done": True}


app = fastapi.FastAPI()
inngest.fast_api.serve(app, client, [publish])

if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(os.environ["PORT"]), log_level="warning")
