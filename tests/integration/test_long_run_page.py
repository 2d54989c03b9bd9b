"""The run page of a 1,000-step run: its trace is paged (the latest steps first, the page of a
deep-linked step, a name filter), every page keeps the run's whole time axis, and a live
refresh of the fragment keeps the selected step."""

import re
from datetime import timedelta

import pytest
from django.test import Client, override_settings

from console.pages.run_page import TRACE_PAGE
from foundation import clock
from runs.models import App, Function, Run, RunStatus, Step

pytestmark = pytest.mark.django_db
STEPS = 1000


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
        ended_at=start + timedelta(seconds=STEPS * 0.01 + 1),
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
            started_at=start + timedelta(milliseconds=10 * n),
            ended_at=start + timedelta(milliseconds=10 * n + 5),
        )
        for n in range(STEPS)
    )
    return run


def _rows(page: str) -> list[str]:
    return re.findall(r'class="trace-grid trace-row[^"]*" href="[^"]*" data-step="(h\d+)"', page)


@override_settings(REQUIRE_LOGIN=False)  # the page itself, in either half of the suite
def test_a_long_run_shows_its_latest_steps_a_page_at_a_time(client: Client, long_run: Run):
    page = client.get(f"/runs/{long_run.id}/").content.decode()
    assert f"Steps {STEPS - TRACE_PAGE + 1}–{STEPS} of {STEPS}" in page
    assert _rows(page) == [f"h{n}" for n in range(STEPS - TRACE_PAGE, STEPS)]
    assert 'id="trace-prev"' in page and 'id="trace-next"' not in page

    earlier = client.get(f"/runs/{long_run.id}/?page=1").content.decode()
    assert _rows(earlier) == [f"h{n}" for n in range(TRACE_PAGE)]
    # Every page draws the same axis: the run's whole length.
    ticks = re.findall(r'class="tick" style="left: [\d.]+%">([^<]+)<', page)
    assert ticks == re.findall(r'class="tick" style="left: [\d.]+%">([^<]+)<', earlier)
    assert ticks[0] == "0" and ticks[-1] == "10 s"


@override_settings(REQUIRE_LOGIN=False)
def test_a_deep_link_to_an_old_step_opens_its_page_and_panel(client: Client, long_run: Run):
    page = client.get(f"/runs/{long_run.id}/?step=h7").content.decode()
    assert "h7" in _rows(page) and _rows(page)[0] == "h0"
    assert 'class="trace-grid trace-row selected" href="?page=1&amp;step=h7"' in page
    assert re.search(r'<h2 id="panel-title">.*step-0007</h2>', page)
    # The live refresh asks for the same step (trace.js adds it) and gets the same panel.
    live = client.get(f"/runs/{long_run.id}/?fragment=live&step=h7").content.decode()
    assert live.startswith('<section id="run-live"') or 'id="run-live"' in live[:200]
    assert re.search(r'<h2 id="panel-title">.*step-0007</h2>', live)
    assert "<html" not in live


@override_settings(REQUIRE_LOGIN=False)
def test_the_trace_filters_steps_by_name(client: Client, long_run: Run):
    page = client.get(f"/runs/{long_run.id}/?q=step-099").content.decode()
    assert _rows(page) == [f"h{n}" for n in range(990, 1000)]
    assert "Steps 1–10 of 10 matching “step-099”" in page
    nothing = client.get(f"/runs/{long_run.id}/?q=nope").content.decode()
    assert _rows(nothing) == [] and "No step matches “nope”." in nothing
