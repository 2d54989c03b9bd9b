"""The run diff (runs/run_diff.py) of two stored runs: the page marks the differing steps and
JSON lines, the API and `manage.py runs diff` name the same changes, a failed run's page links
to its last successful run, and runs of two functions are refused."""

import json
from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from ulid import ULID

from events.models import Event
from foundation import clock
from runs.models import App, Function, Run, Step

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _open_console(settings: Any) -> None:
    settings.REQUIRE_LOGIN = False


def _function(slug: str) -> Function:
    app, _ = App.objects.get_or_create(name="diff", url="http://127.0.0.1:1/api/inngest")
    return Function.objects.create(app=app, slug=slug, name=slug, step_url=app.url)


def _run(fn: Function, ago: float, status: str, data: dict, steps: list[tuple]) -> Run:
    at = clock.now() - timedelta(minutes=ago)
    event = Event.objects.create(id=clock.new_id(), name="diff/go", data=data, ts=0, received_at=at)
    run = Run.objects.create(
        id=str(ULID.from_timestamp(at.timestamp())), function=fn, event=event, status=status,
        queued_at=at, started_at=at, ended_at=at + timedelta(seconds=1),
        error={"name": "Error", "message": "card declined"} if status == "Failed" else None,
    )  # fmt: skip
    for i, (name, memo, attempts) in enumerate(steps):
        Step.objects.create(
            run=run, hashed_id=f"h-{name}", name=name, opcode="StepRun",
            status="Failed" if "error" in memo else "Completed", memo=memo, attempts=attempts,
            started_at=at + timedelta(milliseconds=i), ended_at=at + timedelta(milliseconds=i + 5),
        )  # fmt: skip
    return run


@pytest.fixture
def pair() -> tuple[Run, Run]:
    fn = _function("diff-fn")
    good = _run(fn, 10, "Completed", {"amount": 10}, [
        ("prepare", {"data": {"key": "k1"}}, 1),
        ("charge", {"data": {"charged": "k1"}}, 1),
    ])  # fmt: skip
    bad = _run(fn, 1, "Failed", {"amount": 99}, [
        ("prepare", {"data": {"key": "k1"}}, 1),
        ("charge", {"error": {"name": "Error", "message": "card declined"}}, 4),
    ])  # fmt: skip
    return good, bad


def test_the_api_names_the_differing_steps_fields_and_paths(pair: tuple[Run, Run]):
    good, bad = pair
    body = Client().get(f"/api/runs/{good.id}/diff/{bad.id}").json()
    assert body["differing_steps"] == 1
    prepare, charge = body["steps"]
    assert (prepare["name"], prepare["differs"]) == ("prepare", [])
    assert charge["differs"] == ["output", "error", "attempts", "status"]
    assert [c["path"] for c in body["run"]["changes"]["input"]] == ["$.amount"]


def test_the_page_marks_the_step_and_its_changed_lines(pair: tuple[Run, Run]):
    good, bad = pair
    page = Client().get(f"/runs/{good.id}/diff/{bad.id}").content.decode()
    assert "1 of 2 steps differ; the run differs in event data, error, status" in page
    assert 'data-step="prepare" data-differs=""' in page
    assert 'data-step="charge" data-differs="output,error,attempts,status"' in page
    assert '<span class="removed">  &quot;amount&quot;: 10</span>' in page
    assert '<span class="added">  &quot;amount&quot;: 99</span>' in page


def test_a_failed_runs_page_links_to_its_diff_with_the_last_successful_run(pair: tuple[Run, Run]):
    good, bad = pair
    client = Client()
    assert 'id="compare-last-success"' in client.get(f"/runs/{bad.id}/").content.decode()
    assert 'id="compare-last-success"' not in client.get(f"/runs/{good.id}/").content.decode()
    response = client.get(f"/runs/{bad.id}/compare")
    assert response.status_code == 302 and response.url == f"/runs/{good.id}/diff/{bad.id}"


def test_the_command_prints_the_diff_as_text_and_json(pair: tuple[Run, Run]):
    good, bad = pair
    out = StringIO()
    call_command("runs", "diff", good.id, bad.id, stdout=out)
    text = out.getvalue()
    assert "1 of 2 steps differ" in text and "  step prepare: same" in text
    assert "* step charge: differs in output, error, attempts 1 -> 4" in text
    out = StringIO()
    call_command("runs", "diff", good.id, bad.id, "--json", stdout=out)
    assert json.loads(out.getvalue())["differing_steps"] == 1


def test_runs_of_two_functions_are_refused(pair: tuple[Run, Run]):
    other = _run(_function("diff-other"), 2, "Completed", {}, [])
    good = pair[0]
    response = Client().get(f"/api/runs/{good.id}/diff/{other.id}")
    assert response.status_code == 400 and "same function" in response.json()["error"]
    assert Client().get(f"/runs/{good.id}/diff/{other.id}").status_code == 400
    with pytest.raises(CommandError, match="different functions"):
        call_command("runs", "diff", good.id, other.id)
