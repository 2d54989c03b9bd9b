"""InvokeFunction: the child run starts with `inngest/function.invoked` and the caller's
correlation; its output (or its error) becomes the caller's step memo; an unknown function
fails the step at once; an invoke timeout fails it with the SDKs' timeout error."""

from events.models import Event
from runs.executor import execute_item
from runs.models import Run, RunStatus
from tests.integration.drive import TimeTravel, run_until_quiet, send_event
from tests.integration.fake_sdk import (
    FakeSdk,
    completed,
    errored,
    hashed,
    invoke,
    ops,
)


def _caller(fake_sdk: FakeSdk, child_script: list, target: str = "fake-child", **kw) -> Run:
    fake_sdk.add_function(
        "fake-caller",
        lambda request: (
            completed(request.steps[hashed("call")])
            if hashed("call") in request.steps
            else ops(invoke("call", target, {"n": 2}, **kw))
        ),
    )
    fake_sdk.add_function("fake-child", child_script, event="test/never")
    fake_sdk.sync()
    [run] = send_event("test/go")
    return run


def test_the_child_output_is_handed_back_to_the_calling_step(fake_sdk: FakeSdk):
    run = _caller(fake_sdk, [completed({"square": 4})])
    run_until_quiet()

    run.refresh_from_db()
    child = Run.objects.get(invoked_by__run=run)
    assert child.status == RunStatus.COMPLETED and child.event.name == "inngest/function.invoked"
    [child_call] = fake_sdk.calls("fake-child")
    data = child_call.body["event"]["data"]
    assert data["n"] == 2 and data["_inngest"]["correlation_id"] == f"{run.id}.{hashed('call')}"
    assert run.status == RunStatus.COMPLETED and run.output == {"data": {"square": 4}}


def test_the_child_failure_is_handed_back_as_the_step_error(fake_sdk: FakeSdk):
    run = _caller(fake_sdk, [errored("child broke", no_retry=True)])
    run_until_quiet()

    run.refresh_from_db()
    assert run.output == {"error": {"name": "Error", "message": "child broke"}}
    assert run.steps.get(hashed_id=hashed("call")).status == "Failed"


def test_invoking_an_unknown_function_fails_the_step_at_once(fake_sdk: FakeSdk):
    run = _caller(fake_sdk, [], target="fake-nobody")
    run_until_quiet()

    run.refresh_from_db()
    assert run.output["error"]["message"] == "could not find function with ID: fake-nobody"
    assert not Event.objects.filter(name="inngest/function.invoked").exists()


def test_an_invoke_that_times_out_fails_with_the_timeout_error(
    fake_sdk: FakeSdk, time_travel: TimeTravel
):
    run = _caller(fake_sdk, [], target="fake-child", timeout="1m")
    execute_item(run.queue_items.get().id)  # the caller invokes; the child is never driven
    run.refresh_from_db()
    assert run.status == RunStatus.WAITING

    time_travel.advance(61)
    execute_item(run.queue_items.get().id)

    run.refresh_from_db()
    assert run.status == RunStatus.COMPLETED
    assert run.output["error"]["name"] == "InngestInvokeTimeoutError"
