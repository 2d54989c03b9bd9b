"""The run page draws the run's own row of the trace and lists its status history from the
gateway's history rows: a run that slept shows queued, running, sleeping, running, completed."""

import re

from django.test import Client, override_settings

from runs.statuses import RunStatus
from tests.integration.drive import TimeTravel, run_until_quiet, send_event
from tests.integration.fake_sdk import FakeSdk, completed, ops, sleep


@override_settings(REQUIRE_LOGIN=False)
def test_the_run_page_shows_every_status_the_run_went_through(
    fake_sdk: FakeSdk, time_travel: TimeTravel
):
    fake_sdk.add_function("fake-napper", [ops(sleep("nap", "10s")), completed("rested")])
    fake_sdk.sync()
    [run] = send_event("test/go")
    run_until_quiet()
    time_travel.advance(11)
    run_until_quiet()

    page = Client().get(f"/runs/{run.id}/").content.decode()

    history = page[page.index('id="status-history"') :]
    history = history[: history.index("</ol>")]
    statuses = re.findall(r'class="status status-\w+">(\w+)<', history)
    assert statuses == [
        RunStatus.QUEUED,
        RunStatus.RUNNING,
        RunStatus.SLEEPING,
        RunStatus.RUNNING,
        RunStatus.COMPLETED,
    ]
    lane = page[page.index('id="run-row"') :]
    lane = lane[: lane.index("</a>")]
    kinds = re.findall(r'class="span span-(\w+)', lane)
    assert kinds == ["queued", "running", "sleeping", "running"]
    # The sleep's own row: the nap drawn with its wake time marked, and how long it slept.
    nap = page[page.index('data-step-name="nap"') :]
    nap = nap[: nap.index("</a>")]
    assert 'class="span span-sleeping' in nap and 'data-tip="slept 1' in nap
    assert 'class="mark" style="left:' in nap and 'data-tip="woke 10 s after start' in nap
