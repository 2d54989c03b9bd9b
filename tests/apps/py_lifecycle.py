"""Python test functions for waitForEvent, invoke, sendEvent, parallel steps, onFailure,
cancelOn, timeouts and crons. `build` is called by python_app.py with its client and helpers."""

import datetime
from collections.abc import Callable

import inngest
from inngest.experimental.ai import openai

seconds = datetime.timedelta


def build(
    client: inngest.Inngest,
    on: Callable[..., inngest.TriggerEvent],
    log: Callable[[str], int],
    app_id: str,
) -> list[inngest.Function]:
    @client.create_function(fn_id="wait-for-approval", trigger=on("wait"))
    def wait_for_approval(ctx: inngest.ContextSync) -> dict:
        approval = ctx.step.wait_for_event(
            "approval",
            event=f"{app_id}/approval",
            if_exp="event.data.id == async.data.id",
            timeout=seconds(seconds=ctx.event.data.get("timeout", 20)),
        )
        return {"approval": approval.data if approval else None}

    @client.create_function(fn_id="invoked-child", trigger=on("child"), retries=0)
    def invoked_child(ctx: inngest.ContextSync) -> dict:
        if ctx.event.data.get("fail"):
            raise inngest.NonRetriableError("child failed on purpose")
        if ctx.event.data.get("slow"):
            ctx.step.sleep("dawdle", seconds(seconds=10))
        return {"doubled": ctx.event.data["x"] * 2}

    @client.create_function(fn_id="invoker", trigger=on("invoke"))
    def invoker(ctx: inngest.ContextSync) -> dict:
        try:
            result = ctx.step.invoke(
                "call-child",
                function=invoked_child,
                data=ctx.event.data,
                timeout=seconds(seconds=ctx.event.data.get("timeout", 20)),
            )
        except inngest.StepError as err:
            return {"error": err.message}
        return {"result": result}

    @client.create_function(fn_id="fan-out", trigger=on("fanout"))
    def fan_out(ctx: inngest.ContextSync) -> int:
        count = ctx.event.data["count"]
        events = [
            inngest.Event(name=f"{app_id}/fanned", data={"i": i, "batch": ctx.event.data["batch"]})
            for i in range(count)
        ]
        ids = ctx.step.send_event("send", events)
        return len(ids)

    @client.create_function(fn_id="fanned", trigger=on("fanned"))
    def fanned(ctx: inngest.ContextSync) -> int:
        return ctx.event.data["i"]

    @client.create_function(fn_id="parallel", trigger=on("parallel"), retries=2)
    def parallel(ctx: inngest.ContextSync) -> list:
        def shaky() -> str:
            if log("parallel:shaky") < 2:
                raise Exception("first attempt fails")
            return "shaky"

        results = ctx.group.parallel(
            (
                lambda: ctx.step.run("p1", lambda: (log("step:p1"), "one")[1]),
                lambda: ctx.step.run("p2", shaky),
                lambda: ctx.step.run("p3", lambda: (log("step:p3"), "three")[1]),
            )
        )
        after = ctx.step.run("after", lambda: (log("step:after-parallel"), "after")[1])
        return [*results, after]

    def report_failure(ctx: inngest.ContextSync) -> dict:
        error = ctx.event.data["error"]
        original = ctx.event.data["event"]
        log(f"on-failure:{error['message']}:{original['data'].get('order')}")
        return {"error": error["message"], "order": original["data"].get("order")}

    @client.create_function(
        fn_id="doomed", trigger=on("doomed"), retries=0, on_failure=report_failure
    )
    def doomed(ctx: inngest.ContextSync) -> None:
        def explode() -> None:
            raise ValueError("kaboom")

        ctx.step.run("explode", explode)

    # Only the multi-step function's ends: a listener of every end would start a second run
    # for each run of every function here, the benchmarks' 10-step runs included.
    @client.create_function(
        fn_id="finished-listener",
        trigger=inngest.TriggerEvent(
            event="inngest/function.finished",
            expression=f'event.data.function_id == "{app_id}-multi-step"',
        ),
    )
    def finished_listener(ctx: inngest.ContextSync) -> str:
        log(f"finished:{ctx.event.data['run_id']}")
        return "seen"

    @client.create_function(
        fn_id="cancellable",
        trigger=on("cancellable"),
        cancel=[inngest.Cancel(event=f"{app_id}/cancel", if_exp="event.data.id == async.data.id")],
    )
    def cancellable(ctx: inngest.ContextSync) -> str:
        ctx.step.run("start", lambda: "started")
        ctx.step.sleep("long-nap", seconds(seconds=30))
        ctx.step.run("after-cancel", lambda: (log("step:after-cancel"), "x")[1])
        return "not cancelled"

    @client.create_function(
        fn_id="finish-timeout",
        trigger=on("timeout"),
        timeouts=inngest.Timeouts(finish=seconds(seconds=2)),
    )
    def finish_timeout(ctx: inngest.ContextSync) -> str:
        ctx.step.run("begin", lambda: "begun")
        ctx.step.sleep("too-long", seconds(seconds=10))
        ctx.step.run("never", lambda: (log("step:never"), "x")[1])
        return "finished in time"

    @client.create_function(
        fn_id="paris-cron", trigger=inngest.TriggerCron(cron="TZ=Europe/Paris * * * * *")
    )
    def paris_cron(ctx: inngest.ContextSync) -> str:
        ctx.step.run("tick", lambda: (log("cron:tick"), "tick")[1])
        return ctx.event.name

    @client.create_function(fn_id="ai-infer", trigger=on("ai"), retries=0)
    def ai_infer(ctx: inngest.ContextSync) -> dict:
        adapter = openai.Adapter(
            auth_key="sk-test-key", model="gpt-test", base_url=ctx.event.data["base_url"]
        )
        body = {"messages": [{"role": "user", "content": ctx.event.data["prompt"]}]}
        try:
            response = ctx.step.ai.infer("ask-model", adapter=adapter, body=body)
        except inngest.StepError as err:
            return {"error": err.message}
        return {"answer": response["choices"][0]["message"]["content"]}

    return [
        ai_infer,
        wait_for_approval,
        invoked_child,
        invoker,
        fan_out,
        fanned,
        parallel,
        doomed,
        finished_listener,
        cancellable,
        finish_timeout,
        paris_cron,
    ]
