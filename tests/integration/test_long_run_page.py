"""The run page of a long run shows its latest steps (rendering 1,000 took over half a second)
and all of them on request."""

from datetime import timedelta

import pytest
from django.test import Client, override_settings

from console.pages.runs import STEPS_SHOWN
from foundation import clock
from runs.models import App, Function, Run, RunStatus, Step

pytestmark = pytest.mark.django_db


@pytest.fixture
def long_run() -> Run:
    app = App.objects.create(name="long", url="http://127.0.0.1:1/api/inngest")
    function = Function.objects.create(app=app, slug="long-f", name="f", step_url=app.url)
    start = clock.now() - timedelta(minutes=5)
    run = Run.objects.create(
        id=clock.new_id(),
        function=function,
        status=RunStatus.COMPLETED,
        queued_at=start,
        started_at=start,
        ended_at=clock.now(),
        output=1,
    )
    Step.objects.bulk_create(
        Step(
            run=run,
            hashed_id=f"h{n}",
            name=f"step-{n:04}",
            opcode="StepRun",
            status="Completed",
            memo={"data": n},
            position=n,
            started_at=start + timedelta(milliseconds=n),
            ended_at=start + timedelta(milliseconds=n + 1),
        )
        for n in range(STEPS_SHOWN + 50)
    )
    return run


@override_settings(REQUIRE_LOGIN=False)  # the page itself, in either half of the suite
def test_a_long_run_shows_its_latest_steps_then_all_on_request(client: Client, long_run: Run):
    page = client.get(f"/runs/{long_run.id}/").content.decode()
    assert f"Showing the latest {STEPS_SHOWN} of {STEPS_SHOWN + 50} steps" in page
    assert 'data-step-name="step-0049"' not in page  # the oldest are left out
    assert 'data-step-name="step-0050"' in page and 'data-step-name="step-0249"' in page

    everything = client.get(f"/runs/{long_run.id}/?steps=all").content.decode()
    assert "Showing the latest" not in everything
    assert everything.count('class="step"') == STEPS_SHOWN + 50
    assert "steps=all" in everything  # live refreshes keep showing all
