"""Signals: a WaitForSignal step holds its signal until `POST /v1/signals` resumes the run with
`{signal, data}` (once: a second signal finds nobody), or its timeout resumes it with null.
One wait holds a signal at a time: a second wait fails its step ("fail", the default) or takes
the signal over ("replace"), and a cancelled run's wait holds nothing."""

import json

from django.test import Client

from runs.cancellation import cancel_run
from runs.models import Run, RunStatus, Step
from tests.integration.drive import TimeTravel, run_until_quiet, send_event
from tests.integration.fake_sdk import FakeSdk, SdkRequest, completed, hashed, ops, wait_for_signal

WAIT = hashed("wait")


def _waiter(conflict: str | None = None):
    def answer(request: SdkRequest):
        if WAIT in request.steps:
            return completed({"got": request.steps[WAIT]})
        signal = f"order-{request.body['event']['data']['order']}"
        return ops(wait_for_signal("wait", signal, "1h", conflict))

    return answer


def _signal(client: Client, signal: str, data: object = None):
    body = json.dumps({"signal": signal, "data": data})
    return client.post("/v1/signals", body, content_type="application/json")


def _run(order: int, slug: str = "fake-signal-waiter") -> Run:
    [run] = [r for r in send_event("test/go", {"order": order}) if r.function.slug == slug]
    run_until_quiet()
    run.refresh_from_db()
    return run


def test_a_signal_resumes_the_waiting_run_once_with_its_data(fake_sdk: FakeSdk):
    fake_sdk.add_function("fake-signal-waiter", _waiter())
    fake_sdk.sync()
    client = Client()
    run = _run(1)
    assert run.status == RunStatus.WAITING
    assert _signal(client, "order-2").status_code == 404  # nobody waits for that one

    answer = _signal(client, "order-1", {"ok": True})
    again = _signal(client, "order-1", {"ok": False})
    run_until_quiet()

    assert answer.status_code == 200 and answer.json() == {"data": {"run_id": run.id}}
    assert again.status_code == 404
    run.refresh_from_db()
    assert run.status == RunStatus.COMPLETED
    assert run.output == {"got": {"data": {"signal": "order-1", "data": {"ok": True}}}}
    assert Step.objects.get(run=run, hashed_id=WAIT).wait_signal == ""


def test_a_wait_that_times_out_resumes_with_null_and_lets_go_of_the_signal(
    fake_sdk: FakeSdk, time_travel: TimeTravel
):
    fake_sdk.add_function("fake-signal-waiter", _waiter())
    fake_sdk.sync()
    run = _run(3)
    time_travel.advance(3601)
    run_until_quiet()
    run.refresh_from_db()
    assert run.status == RunStatus.COMPLETED and run.output == {"got": None}
    assert _signal(Client(), "order-3").status_code == 404


def test_a_second_wait_for_a_held_signal_fails_its_step_by_default(fake_sdk: FakeSdk):
    fake_sdk.add_function("fake-signal-waiter", _waiter(), event="test/go")
    fake_sdk.add_function("fake-signal-rival", _waiter(), event="test/rival")
    fake_sdk.sync()
    holder = _run(4)
    [rival] = send_event("test/rival", {"order": 4})
    run_until_quiet()

    rival.refresh_from_db()
    error = rival.output["got"]["error"]
    assert rival.status == RunStatus.COMPLETED and error["name"] == "SignalConflict"
    assert holder.id in error["message"]
    answer = _signal(Client(), "order-4", 1)
    assert answer.json() == {"data": {"run_id": holder.id}}


def test_a_replacing_wait_takes_the_signal_and_the_first_waits_for_its_timeout(
    fake_sdk: FakeSdk, time_travel: TimeTravel
):
    fake_sdk.add_function("fake-signal-waiter", _waiter(), event="test/go")
    fake_sdk.add_function("fake-signal-rival", _waiter("replace"), event="test/rival")
    fake_sdk.sync()
    first = _run(5)
    [second] = send_event("test/rival", {"order": 5})
    run_until_quiet()

    answer = _signal(Client(), "order-5", "hello")
    run_until_quiet()
    assert answer.json() == {"data": {"run_id": second.id}}
    first.refresh_from_db()
    assert first.status == RunStatus.WAITING
    time_travel.advance(3601)
    run_until_quiet()
    first.refresh_from_db()
    assert first.status == RunStatus.COMPLETED and first.output == {"got": None}


def test_a_cancelled_run_holds_no_signal(fake_sdk: FakeSdk):
    fake_sdk.add_function("fake-signal-waiter", _waiter(), event="test/go")
    fake_sdk.add_function("fake-signal-rival", _waiter(), event="test/rival")
    fake_sdk.sync()
    cancelled = _run(6)
    cancel_run(cancelled.id)
    assert _signal(Client(), "order-6").status_code == 404

    [rival] = send_event("test/rival", {"order": 6})
    run_until_quiet()
    rival.refresh_from_db()
    assert rival.status == RunStatus.WAITING
    assert _signal(Client(), "order-6", 2).json() == {"data": {"run_id": rival.id}}


def test_a_bad_signal_body_is_refused():
    client = Client()
    assert client.post("/v1/signals", "{", content_type="application/json").status_code == 400
    assert _signal(client, "").status_code == 400
