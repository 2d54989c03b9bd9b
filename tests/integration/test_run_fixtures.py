"""Runs as test fixtures (runs/fixture_*.py): an exported run holds its events, memoized steps,
failed attempts and outcome; imported back it is stored as it ended, starts nothing (no queue
item, no lifecycle event, no run of its event), is marked with its source and audited, and a
rerun from a step runs the app here. Refusals name the problem. The page, API and CLI twins."""

import json
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from console import actions
from console.models import AuditEntry
from events.models import Event
from runs.fixture_export import export_run
from runs.fixture_format import BadFixture, load_fixture
from runs.fixture_import import IMPORTED_KIND, RunNotEnded, UnknownFunction
from runs.models import QueueItem, Run, RunOrigin
from runs.statuses import RunStatus
from tests.integration.drive import run_until_quiet, send_event
from tests.integration.fake_sdk import (
    FakeSdk,
    completed,
    errored,
    hashed,
    ops,
    step_error,
    step_failed,
    step_run,
)

SOURCE = "https://staging.example.com"


@pytest.fixture
def fixed() -> dict[str, bool]:
    """Whether the app's `charge` step has been fixed (the local code after a bug fix)."""
    return {"charge": False}


@pytest.fixture
def failed_run(fake_sdk: FakeSdk, fixed: dict[str, bool]) -> Run:
    """prepare succeeds; charge throws, is retried once, fails for good; the function fails."""

    def answer(request: Any) -> Any:
        charge = request.steps.get(hashed("charge"))
        if charge is not None:  # the function goes on with the step's outcome
            return (
                completed("charged")
                if "data" in charge
                else errored("card declined", no_retry=True)
            )
        if hashed("prepare") not in request.steps:
            return ops(step_run("prepare", {"key": "k1"}))
        if fixed["charge"]:
            return ops(step_run("charge", {"charged": "k1"}))
        if request.attempt == 0:
            return ops(step_error("charge", "declined"))
        return ops(step_failed("charge", "declined for good"))

    fake_sdk.add_function("fake-fixture", answer, retries=1, event="shop/order")
    fake_sdk.sync()
    [run] = send_event("shop/order", {"amount": 99}, id="order-99")
    run_until_quiet()
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED
    return run


def _round_trip(run: Run) -> Run:
    text = json.dumps(export_run(run, SOURCE))
    return actions.import_run(None, load_fixture(text))


def test_an_exported_run_holds_its_events_memoized_steps_attempts_and_outcome(failed_run: Run):
    fixture = export_run(failed_run, SOURCE)
    assert (fixture["fixture"], fixture["version"], fixture["source"]) == (
        "inngest-devserver/run",
        1,
        SOURCE,
    )
    assert fixture["function"] == {"slug": "fake-fixture", "name": "fake-fixture", "app": "fake"}
    [event] = fixture["events"]
    assert (event["id"], event["name"], event["data"]) == ("order-99", "shop/order", {"amount": 99})
    steps = [(s["id"], s["name"], s["status"], s["memo"], s["attempts"]) for s in fixture["steps"]]
    declined = {"name": "Error", "message": "declined for good"}
    assert steps == [
        (hashed("prepare"), "prepare", "Completed", {"data": {"key": "k1"}}, 1),
        (hashed("charge"), "charge", "Failed", {"error": declined}, 2),
    ]
    run = fixture["run"]
    assert (run["id"], run["status"], run["error"]["message"]) == (
        failed_run.id,
        "Failed",
        "card declined",
    )
    failures = [(a["step_id"], a["number"], a["error"]["message"]) for a in run["failed_attempts"]]
    assert (hashed("charge"), 0, "declined") in failures


def test_an_imported_run_is_stored_as_it_ended_starts_nothing_and_names_its_source(
    failed_run: Run,
):
    imported = _round_trip(failed_run)

    imported.refresh_from_db()
    assert imported.id != failed_run.id and imported.function_id == failed_run.function_id
    assert imported.status == RunStatus.FAILED and imported.error == failed_run.error
    assert imported.ended_at == failed_run.ended_at
    fields = ("hashed_id", "name", "opcode", "status", "memo", "position", "attempts")
    assert list(imported.steps.order_by("position").values_list(*fields)) == list(
        failed_run.steps.order_by("position").values_list(*fields)
    )
    assert imported.failed_attempts.count() == failed_run.failed_attempts.count()
    assert imported.event_id != failed_run.event_id
    assert imported.event.payload() == failed_run.event.payload()  # same id, data and ts
    mark = imported.metadata.get(kind=IMPORTED_KIND)
    assert mark.values["imported_from"] == SOURCE
    assert mark.values["source_run_id"] == failed_run.id
    entry = AuditEntry.objects.get(action="run.import")
    assert (entry.target, entry.detail["source_run"]) == (imported.id, failed_run.id)
    # Nothing ran for it: no queue item, no onFailure/finished event, no run of its event.
    assert not QueueItem.objects.filter(run=imported).exists()
    lifecycle = Event.objects.filter(name__startswith="inngest/function.")
    assert not [e for e in lifecycle if e.data.get("run_id") == imported.id]
    assert Run.objects.count() == 2


def test_a_rerun_from_a_step_of_an_imported_run_runs_the_app_here_from_that_step(
    failed_run: Run, fake_sdk: FakeSdk, fixed: dict[str, bool]
):
    imported = _round_trip(failed_run)
    fixed["charge"] = True  # the bug is fixed in the local app

    rerun = actions.fork_run(None, imported, RunOrigin.RERUN, hashed("charge"))
    run_until_quiet()

    rerun.refresh_from_db()
    assert rerun.status == RunStatus.COMPLETED and rerun.output == "charged"
    first = next(c for c in fake_sdk.calls("fake-fixture") if c.ctx["run_id"] == rerun.id)
    assert first.steps == {hashed("prepare"): {"data": {"key": "k1"}}}  # from the fixture
    assert first.body["event"]["id"] == "order-99"


def test_a_fixture_this_server_cannot_take_is_refused_with_the_reason_and_stores_nothing(
    failed_run: Run, settings: Any
):
    fixture = export_run(failed_run, SOURCE)
    cases: list[tuple[dict[str, Any], type[BadFixture], str]] = [
        ({"function": {"slug": "shop-gone"}}, UnknownFunction, "'shop-gone' is not registered"),
        ({"run": {**fixture["run"], "status": "Running"}}, RunNotEnded, "was Running"),
        ({"version": 2}, BadFixture, '"version" 2 is not one this server reads'),
        ({"steps": [{**fixture["steps"][0], "status": "Sleeping"}]}, BadFixture, "steps[0].status"),
        ({"events": [{"name": ""}]}, BadFixture, "name must be a non-empty string"),
    ]
    for change, refusal, reason in cases:
        with pytest.raises(refusal) as refused:
            actions.import_run(None, load_fixture(json.dumps({**fixture, **change})))
        assert reason in str(refused.value)
    settings.REQUEST_MAX_BYTES = 1024
    with pytest.raises(BadFixture, match="over the limit of 1024"):
        load_fixture(json.dumps(fixture))
    assert Run.objects.count() == 1 and not AuditEntry.objects.filter(action="run.import")


def test_the_api_exports_a_download_and_imports_it(failed_run: Run):
    client = Client()
    response = client.get(f"/api/runs/{failed_run.id}/fixture")
    assert response.status_code == 200
    assert f"run-fake-fixture-{failed_run.id}.json" in response["Content-Disposition"]
    fixture = response.json()
    assert fixture["source"] == "http://testserver"

    made = client.post("/api/runs/import", fixture, content_type="application/json")
    assert made.status_code == 201, made.content
    imported = Run.objects.get(pk=made.json()["id"])
    assert imported.status == RunStatus.FAILED and imported.steps.count() == 2
    unknown = {**fixture, "function": {"slug": "shop-gone"}}
    refused = client.post("/api/runs/import", unknown, content_type="application/json")
    assert refused.status_code == 404 and "not registered" in refused.json()["error"]
    running = {**fixture, "run": {**fixture["run"], "status": "Running"}}
    assert (
        client.post("/api/runs/import", running, content_type="application/json").status_code == 409
    )
    assert client.post("/api/runs/import", [], content_type="application/json").status_code in (
        400,
        422,
    )


def test_manage_py_exports_to_a_file_and_imports_it(failed_run: Run, tmp_path: Path):
    path = tmp_path / "run.json"
    out = StringIO()
    call_command("runs", "export", failed_run.id, "-o", str(path), stdout=out)
    assert json.loads(path.read_text())["run"]["id"] == failed_run.id

    call_command("runs", "import", str(path), stdout=out)
    imported = Run.objects.exclude(pk=failed_run.id).get()
    assert f"as {imported.id} (Failed)" in out.getvalue()
    path.write_text(json.dumps({"fixture": "something else"}))
    with pytest.raises(CommandError, match='"fixture" must be'):
        call_command("runs", "import", str(path), stdout=out)


def test_the_run_page_links_its_export_and_the_runs_page_imports_an_upload(failed_run: Run):
    client = Client()
    page = client.get(f"/runs/{failed_run.id}/").content.decode()
    assert f'href="/api/runs/{failed_run.id}/fixture"' in page
    assert 'action="/runs/import"' in client.get("/runs/").content.decode()

    upload = StringIO(json.dumps(export_run(failed_run, SOURCE)))
    upload.name = "run.json"
    response = client.post("/runs/import", {"fixture": upload})
    imported = Run.objects.exclude(pk=failed_run.id).get()
    assert response.status_code == 302 and response["Location"] == f"/runs/{imported.id}/"
    shown = client.get(response["Location"]).content.decode()
    assert f"Imported run {failed_run.id} from {SOURCE}" in shown
    assert SOURCE in shown  # the run's metadata names where it came from

    bad = StringIO("not json")
    bad.name = "run.json"
    refused = client.post("/runs/import", {"fixture": bad}, follow=True).content.decode()
    assert "Not imported: the fixture is not valid JSON" in refused
