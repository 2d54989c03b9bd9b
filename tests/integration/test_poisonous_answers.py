"""An app answer the server cannot apply fails that attempt with an error that names what was
wrong; the run fails once its retries are spent, after a bounded number of calls to the app
(it used to stay Running and call the app again and again without counting attempts)."""

import json
from collections.abc import Iterator

import pytest
from django.db import connection

from runs.models import Attempt, RunStatus
from tests.integration.drive import run_until_quiet, send_event
from tests.integration.fake_sdk import Answer, FakeSdk, SdkRequest, hashed

RETRIES = 2


def _ops(op_json: str) -> bytes:
    return f"[{op_json}]".encode()


def _step_with(data_json: str) -> bytes:
    return _ops(f'{{"op": "StepRun", "id": "{hashed("a")}", "name": "a", "data": {data_json}}}')


POISON = {
    "streamed answer whose status is not a number": (
        201,
        json.dumps({"status": "two hundred", "body": "{}"}).encode(),
        "not an HTTP status code",
    ),
    "lone surrogate": (206, _step_with('"\\ud800"'), "lone surrogate"),
    "number too large for a double": (206, _step_with("1e400"), "too large"),
    "integer of 5,000 digits": (206, _step_with("7" * 5000), "cannot be read"),
    "JSON nested 5,000 deep": (206, _step_with("[" * 5000 + "]" * 5000), "nested deeper"),
    "step id over 64 characters": (
        206,
        _ops(f'{{"op": "StepRun", "id": "{"x" * 65}", "name": "a", "data": 1}}'),
        "step id of 65 characters",
    ),
    "step name over 1,024 characters": (
        206,
        _ops(f'{{"op": "StepRun", "id": "{hashed("a")}", "name": "{"n" * 1025}", "data": 1}}'),
        "step name over 1024",
    ),
}


@pytest.mark.parametrize("case", list(POISON))
def test_a_poisonous_answer_fails_each_attempt_and_then_the_run(fake_sdk: FakeSdk, case: str):
    status, raw, why = POISON[case]
    fake_sdk.add_function("fake-poison", lambda _: Answer(status, raw=raw), retries=RETRIES)
    fake_sdk.sync()

    [run] = send_event("test/go")
    run_until_quiet()

    run.refresh_from_db()
    assert run.status == RunStatus.FAILED
    assert run.error["name"] == "ProtocolError" and why in run.error["message"]
    assert len(fake_sdk.calls()) == RETRIES + 1
    attempts = list(Attempt.objects.filter(run=run).order_by("number"))
    assert [a.number for a in attempts] == list(range(RETRIES + 1))
    assert not run.steps.exists() and not run.queue_items.exists()


@pytest.fixture
def refused_step_writes(fake_sdk: FakeSdk) -> Iterator[None]:
    """A write the database itself refuses (not an outage): a trigger on the steps table,
    dropped afterwards (emptying the tables between tests would leave it in place)."""
    if connection.vendor == "sqlite":
        create = [
            "CREATE TRIGGER refuse_steps BEFORE INSERT ON runs_step "
            "BEGIN SELECT RAISE(ABORT, 'refused by the test'); END"
        ]
        drop = ["DROP TRIGGER refuse_steps"]
    else:
        create = [
            "CREATE FUNCTION refuse_steps() RETURNS trigger AS $$ BEGIN "
            "RAISE EXCEPTION 'refused by the test' USING ERRCODE = 'check_violation'; END $$ "
            "LANGUAGE plpgsql",
            "CREATE TRIGGER refuse_steps BEFORE INSERT ON runs_step "
            "FOR EACH ROW EXECUTE FUNCTION refuse_steps()",
        ]
        drop = ["DROP TRIGGER refuse_steps ON runs_step", "DROP FUNCTION refuse_steps()"]
    with connection.cursor() as cursor:
        for statement in create:
            cursor.execute(statement)
    yield
    with connection.cursor() as cursor:
        for statement in drop:
            cursor.execute(statement)


def test_an_answer_that_makes_the_executor_raise_counts_as_a_failed_attempt(
    fake_sdk: FakeSdk, refused_step_writes: None
):
    def one_step(_: SdkRequest) -> Answer:
        return Answer(206, [{"op": "StepRun", "id": hashed("a"), "name": "a", "data": 1}])

    fake_sdk.add_function("fake-refused", one_step, retries=RETRIES)
    fake_sdk.sync()

    [run] = send_event("test/go")
    run_until_quiet()

    run.refresh_from_db()
    assert run.status == RunStatus.FAILED
    assert run.error["name"] == "ExecutorError"
    assert "refused by the test" in run.error["message"]
    assert len(fake_sdk.calls()) == RETRIES + 1
    assert Attempt.objects.filter(run=run).count() == RETRIES + 1
