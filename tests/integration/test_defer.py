"""`defer()` (JS 4.4+ DeferAdd / DeferAbort, runs/defer.py): a defer rides beside another op,
is stored once, is handed back in `defers`, and becomes one run of its function when (and only
when) the run that deferred it has ended, however it ended; aborted and bad defers never run."""

from typing import Any

import pytest

from events.models import Event
from runs import defer
from runs.models import App, Attempt, Defer, Run, RunStatus
from tests.integration.drive import run_until_quiet, send_event
from tests.integration.fake_sdk import (
    FakeSdk,
    SdkRequest,
    completed,
    hashed,
    ops,
    run_complete,
    step_run,
)

SCORER = "fake-scorer"
SCHEDULE = "inngest/deferred.schedule"


def defer_add(defer_id: str, fn_slug: str, data: Any) -> dict[str, Any]:
    """npm inngest 4.24.0 engine.js `buildDefer`: the op `defer(id, {function, data})` sends."""
    return {
        "op": "DeferAdd",
        "id": hashed(defer_id),
        "name": defer_id,
        "displayName": defer_id,
        "opts": {"fn_slug": fn_slug, "input": data},
        "userland": {"id": defer_id},
        "data": None,
    }


def defer_abort(defer_id: str, fn_slug: str) -> dict[str, Any]:
    target = hashed(defer_id)
    return {
        "op": "DeferAbort",
        "id": hashed(f"{target}:abort"),
        "name": defer_id,
        "displayName": defer_id,
        "opts": {"target_hashed_id": target, "fn_slug": fn_slug, "id": defer_id},
        "data": None,
    }


def function_failed(message: str) -> dict[str, Any]:
    """The function's own error when defers ride with it (engine.js `attachLazyOps`)."""
    error = {"name": "Error", "message": message}
    return {"op": "StepFailed", "id": hashed("complete"), "error": error}


def _setup(fake_sdk: FakeSdk, parent_script: Any, retries: int = 0) -> None:
    fake_sdk.add_function("fake-parent", parent_script, retries=retries)
    fake_sdk.add_function(
        SCORER,
        lambda request: completed({"scored": request.body["event"]["data"].get("user")}),
        triggers=[{"event": SCHEDULE, "expression": f"event.data._inngest.fn_slug == '{SCORER}'"}],
    )
    app = fake_sdk.sync()
    # The scripted app speaks for JS 4.x, the SDK that has defer().
    App.objects.filter(pk=app.pk).update(sdk="js:v4.24.0")


def _by_steps(*answers: Any):
    """Answer by how many steps are memoized: the n-th request gets answers[n]."""

    def answer(request: SdkRequest) -> Any:
        return answers[min(len(request.steps), len(answers) - 1)]

    return answer


def _scorer_runs() -> list[Run]:
    return list(Run.objects.filter(function__slug=SCORER).order_by("id"))


def test_a_defer_runs_its_function_once_the_run_has_ended(fake_sdk: FakeSdk):
    _setup(
        fake_sdk,
        _by_steps(
            ops(step_run("one", 1), defer_add("score", SCORER, {"user": "u1"})),
            completed("done"),
        ),
    )
    [run] = send_event("test/go")
    run_until_quiet()

    run.refresh_from_db()
    assert run.status == RunStatus.COMPLETED and run.output == "done"
    second = fake_sdk.calls("fake-parent")[1]
    assert second.body["defers"] == {hashed("score"): {"abortable": True}}
    assert hashed("score") not in second.steps  # a defer is no step: nothing to memoize
    [scorer] = _scorer_runs()
    assert scorer.status == RunStatus.COMPLETED and scorer.output == {"scored": "u1"}
    assert run.ended_at is not None and scorer.queued_at >= run.ended_at
    data = scorer.event.data
    assert data["user"] == "u1"
    assert data["_inngest"]["parent_run_id"] == run.id
    assert data["_inngest"]["parent_fn_slug"] == "fake-parent"
    assert data["_inngest"]["fn_slug"] == SCORER
    assert Defer.objects.get(run=run).event_id == scorer.event_id


def test_an_aborted_defer_is_never_scheduled(fake_sdk: FakeSdk):
    _setup(
        fake_sdk,
        _by_steps(
            ops(step_run("one", 1), defer_add("score", SCORER, {"user": "u1"})),
            ops(step_run("two", 2), defer_abort("score", SCORER)),
            completed("done"),
        ),
    )
    [run] = send_event("test/go")
    run_until_quiet()

    run.refresh_from_db()
    assert run.status == RunStatus.COMPLETED
    assert fake_sdk.calls("fake-parent")[2].body["defers"] == {
        hashed("score"): {"abortable": False}
    }
    assert Defer.objects.get(run=run).status == "Aborted"
    assert _scorer_runs() == [] and not Event.objects.filter(name=SCHEDULE).exists()


def test_an_abort_in_the_request_of_its_defer_keeps_it_from_ever_running(fake_sdk: FakeSdk):
    """The SDK drops the buffered DeferAdd and sends only the abort (lazyOps.js `push`)."""
    _setup(
        fake_sdk,
        _by_steps(
            ops(step_run("one", 1), defer_abort("score", SCORER)),
            # A replay that reported the defer anyway would not bring it back.
            ops(step_run("two", 2), defer_add("score", SCORER, {"user": "u1"})),
            completed("done"),
        ),
    )
    [run] = send_event("test/go")
    run_until_quiet()

    run.refresh_from_db()
    assert run.status == RunStatus.COMPLETED
    assert Defer.objects.get(run=run).status == "Aborted"
    assert _scorer_runs() == []


def test_a_defer_reported_again_is_scheduled_once(fake_sdk: FakeSdk):
    again = defer_add("score", SCORER, {"user": "first"})
    _setup(
        fake_sdk,
        _by_steps(
            ops(step_run("one", 1), again),
            ops(step_run("two", 2), defer_add("score", SCORER, {"user": "second"})),
            ops(run_complete("done")),
        ),
    )
    [run] = send_event("test/go")
    run_until_quiet()

    run.refresh_from_db()
    assert run.status == RunStatus.COMPLETED and run.output == "done"
    [scorer] = _scorer_runs()
    assert scorer.output == {"scored": "first"}  # the first report stands


def test_a_run_that_fails_still_schedules_its_defers(fake_sdk: FakeSdk):
    """inngest/inngest schedules defers in Finalize, which every end of a run goes through."""
    _setup(
        fake_sdk,
        [
            ops(defer_add("score", SCORER, {"user": "u1"}), function_failed("broke")),
        ],
    )
    [run] = send_event("test/go")
    run_until_quiet()

    run.refresh_from_db()
    assert run.status == RunStatus.FAILED and run.error["message"] == "broke"
    assert not run.steps.exists()  # "complete" stands for the function, never a step
    [scorer] = _scorer_runs()
    assert scorer.status == RunStatus.COMPLETED


def test_the_function_error_beside_a_defer_is_retried_like_any_function_error(
    fake_sdk: FakeSdk,
):
    retried = {"op": "StepError", "id": hashed("complete"), "error": {"message": "flaky"}}
    _setup(
        fake_sdk,
        [
            ops(defer_add("score", SCORER, {"user": "u1"}), retried),
            completed("done"),
        ],
        retries=1,
    )
    [run] = send_event("test/go")
    run_until_quiet()

    run.refresh_from_db()
    assert run.status == RunStatus.COMPLETED and run.output == "done"
    assert [a.error["message"] for a in Attempt.objects.filter(run=run)] == ["flaky"]
    assert fake_sdk.calls("fake-parent")[1].body["defers"] == {hashed("score"): {"abortable": True}}
    assert len(_scorer_runs()) == 1


@pytest.mark.parametrize(
    ("data", "reason"),
    [(["not", "an", "object"], "invalid_input"), ({"blob": "x" * 4096}, "per_defer_size")],
)
def test_a_bad_defer_is_rejected_and_the_run_goes_on(
    fake_sdk: FakeSdk, settings: Any, data: Any, reason: str
):
    settings.EVENT_MAX_BYTES = 2048
    _setup(
        fake_sdk,
        _by_steps(ops(step_run("one", 1), defer_add("score", SCORER, data)), completed("done")),
    )
    [run] = send_event("test/go")
    run_until_quiet()

    run.refresh_from_db()
    assert run.status == RunStatus.COMPLETED
    stored = Defer.objects.get(run=run)
    assert (stored.status, stored.reason, stored.input) == ("Rejected", reason, None)
    # Rejected is final: the SDK must not report it again, nor abort it.
    assert fake_sdk.calls("fake-parent")[1].body["defers"] == {
        hashed("score"): {"abortable": False}
    }
    assert _scorer_runs() == []


def test_defers_past_the_per_run_limit_are_dropped(fake_sdk: FakeSdk):
    many = [
        defer_add(f"d{i}", SCORER, {"user": f"u{i}"}) for i in range(defer.MAX_DEFERS_PER_RUN + 3)
    ]
    _setup(fake_sdk, [ops(*many, run_complete("done"))])
    [run] = send_event("test/go")
    run_until_quiet()

    run.refresh_from_db()
    assert run.status == RunStatus.COMPLETED
    assert Defer.objects.filter(run=run).count() == defer.MAX_DEFERS_PER_RUN
    assert len(_scorer_runs()) == defer.MAX_DEFERS_PER_RUN


def test_running_the_end_hook_again_starts_nothing_more(fake_sdk: FakeSdk):
    _setup(fake_sdk, [ops(defer_add("score", SCORER, {"user": "u1"}), run_complete("done"))])
    [run] = send_event("test/go")
    run_until_quiet()

    run.refresh_from_db()
    defer.schedule_defers(run)
    run_until_quiet()
    assert len(_scorer_runs()) == 1
    assert Event.objects.filter(name=SCHEDULE).count() == 1


def test_no_defers_no_defers_field(fake_sdk: FakeSdk):
    """Apps that never defer get the request body they always got."""
    _setup(fake_sdk, _by_steps(ops(step_run("one", 1)), completed("done")))
    send_event("test/go")
    run_until_quiet()

    assert all("defers" not in call.body for call in fake_sdk.calls("fake-parent"))
