"""An opcode this server does not know (a newer SDK feature, e.g. JS 4.x `defer()`'s `DeferAdd`)
fails the attempt with an error that names the opcode and the SDK version, is retried like any
failed attempt, and fails the run once the retries are spent."""

from runs.models import RunStatus
from tests.integration.drive import run_until_quiet, send_event
from tests.integration.fake_sdk import SDK_VERSION, Answer, FakeSdk, hashed

DEFER = Answer(206, [{"op": "DeferAdd", "id": hashed("later"), "opts": {}}])


def test_an_unknown_opcode_fails_the_attempt_naming_the_opcode_and_the_sdk(fake_sdk: FakeSdk):
    fake_sdk.add_function("fake-defer", [DEFER, DEFER], retries=1)
    fake_sdk.sync()
    [run] = send_event("test/go")
    run_until_quiet()

    run.refresh_from_db()
    assert run.status == RunStatus.FAILED
    assert run.error["name"] == "UnsupportedOpcode"
    assert "'DeferAdd'" in run.error["message"] and SDK_VERSION in run.error["message"]
    attempts = list(run.failed_attempts.values_list("error", flat=True))
    assert len(attempts) == 2 and all(a["name"] == "UnsupportedOpcode" for a in attempts)
    assert fake_sdk.problems == []
