"""Answers that make the executor raise while reading them (issue 12): the attempt fails with
an error naming what was wrong, and the run fails after its retries with a bounded number of
calls to the app (not re-queued for ever without counting an attempt)."""

import pytest

from runs.models import RunStatus
from tests.integration.drive import run_until_quiet, send_event
from tests.integration.fake_sdk import Answer, FakeSdk, hashed

CRASHES = {
    "201 wrapper with a status that is not a number": Answer(
        201, {"status": "teapot", "headers": {}, "body": "x"}
    ),
    "lone surrogate": Answer(200, raw=b'"\\ud800"'),
    "number beyond float": Answer(200, raw=b"1e400"),
    "5,000-digit integer": Answer(200, raw=b"9" * 5000),
    "JSON nested 5,000 deep": Answer(200, raw=b"[" * 5000 + b"]" * 5000),
    "step id over 64 characters": Answer(
        206, [{"op": "StepRun", "id": "x" * 65, "name": "s", "data": 1}]
    ),
    "step name over 1,024 characters": Answer(
        206, [{"op": "StepRun", "id": hashed("s"), "name": "n" * 1025, "data": 1}]
    ),
}


@pytest.mark.parametrize("answer", CRASHES.values(), ids=CRASHES.keys())
def test_an_answer_that_crashes_the_executor_fails_the_run_after_its_retries(
    fake_sdk: FakeSdk, answer: Answer
):
    fake_sdk.add_function("fake-crashy", lambda request: answer, retries=1)
    fake_sdk.sync()

    [run] = send_event("test/go")
    run_until_quiet(max_items=20)

    run.refresh_from_db()
    assert run.status == RunStatus.FAILED, run.status
    assert run.error and run.error.get("message")
    assert len(fake_sdk.calls()) == 2
