"""The bundled example app (`make dev`): a small shop written with the official Python SDK.

It shows memoized steps, a retried step, a durable sleep and an `if` trigger. Start it with
INNGEST_DEV=1 and INNGEST_BASE_URL pointing at the dev server; `make dev` does both.
"""

import datetime
import os
import random

import fastapi
import inngest
import inngest.fast_api
import uvicorn

client = inngest.Inngest(app_id="shop", is_production=False)


@client.create_function(
    fn_id="process-order",
    name="Process order",
    trigger=inngest.TriggerEvent(event="shop/order.placed"),
    retries=3,
)
def process_order(ctx: inngest.ContextSync) -> dict:
    order = ctx.event.data
    items = order.get("items", ["book"])
    reservation = ctx.step.run("reserve-stock", lambda: {"reserved": items})

    def charge_card() -> dict:
        # Payment providers flake: the first attempt fails now and then, the retry succeeds.
        if ctx.attempt == 0 and random.random() < 0.5:
            raise RuntimeError("card processor timed out")
        return {"charged": order.get("total", 10), "currency": "EUR"}

    payment = ctx.step.run("charge-card", charge_card)
    ctx.step.sleep("wait-for-warehouse", datetime.timedelta(seconds=10))
    shipment = ctx.step.run("ship", lambda: {"carrier": "post", "items": reservation["reserved"]})
    return {"payment": payment, "shipment": shipment}


@client.create_function(
    fn_id="welcome-pro-customer",
    name="Welcome a pro customer",
    trigger=inngest.TriggerEvent(event="shop/user.signup", expression="event.data.plan == 'pro'"),
)
def welcome_pro_customer(ctx: inngest.ContextSync) -> str:
    email = ctx.step.run("write-email", lambda: f"Welcome aboard, {ctx.event.data.get('name')}!")
    return email


@client.create_function(
    fn_id="hello-world", name="Hello world", trigger=inngest.TriggerEvent(event="demo/hello")
)
def hello_world(ctx: inngest.ContextSync) -> str:
    return ctx.step.run("greet", lambda: f"Hello, {ctx.event.data.get('name', 'world')}!")


app = fastapi.FastAPI()
inngest.fast_api.serve(app, client, [process_order, welcome_pro_customer, hello_world])

if __name__ == "__main__":
    uvicorn.run(
        app, host="127.0.0.1", port=int(os.environ.get("PORT", "8000")), log_level="warning"
    )
