"""StepPlanned: the server calls back for the planned step (`stepId` = its hashed id), stores
what it ran, then goes on discovering from the top."""

from runs.models import RunStatus
from tests.integration.drive import run_until_quiet, send_event
from tests.integration.fake_sdk import FakeSdk, completed, hashed, ops, step_planned, step_run


def test_a_planned_step_is_called_by_its_id_then_discovery_resumes(fake_sdk: FakeSdk):
    fake_sdk.add_function(
        "fake-planned",
        [ops(step_planned("one")), ops(step_run("one", "ran")), completed("ok")],
    )
    fake_sdk.sync()

    [run] = send_event("test/go")
    run_until_quiet()

    run.refresh_from_db()
    assert run.status == RunStatus.COMPLETED and run.output == "ok"
    plan, execute, resume = fake_sdk.calls("fake-planned")
    assert (plan.step_id, execute.step_id, resume.step_id) == ("step", hashed("one"), "step")
    assert execute.steps == {} and resume.steps == {hashed("one"): {"data": "ran"}}
