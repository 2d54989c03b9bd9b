"""An opcode this server does not know (a newer SDK feature than this server knows)
fails the attempt with an error that names the opcode and the SDK version, is retried like any
failed attempt, and fails the run once the retries are spent."""

from runs.models import RunStatus
from tests.integration.drive import run_until_quiet, send_event
from tests.integration.fake_sdk import SDK_VERSION, Answer, FakeSdk, hashed

FUTURE = Answer(206, [{"op": "SomeFutureOpcode", "id": hashed("later"), "opts": {}}])


def test_an_unknown_opcode_fails_the_attempt_naming_the_opcode_and_the_sdk(fake_sdk: FakeSdk):
    fake_sdk.add_function("fake-future", [FUTURE, FUTURE], retries=1)
    fake_sdk.sync()
    [run] = send_event("test/go")
    run_until_quiet()

    run.refresh_from_db()
    assert run.status == RunStatus.FAILED
    assert run.error["name"] == "UnsupportedOpcode"
    assert "'SomeFutureOpcode'" in run.error["message"] and SDK_VERSION in run.error["message"]
    attempts = list(run.failed_attempts.values_list("error", flat=True))
    assert len(attempts) == 2 and all(a["name"] == "UnsupportedOpcode" for a in attempts)
    assert fake_sdk.problems == []
