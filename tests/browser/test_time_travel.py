"""Time travel from the run page (dev mode): a sleeping step's panel has "Wake now", which
ends the sleep (the run completes, its last step runs once); a waiting step's panel has "Time
out now" (waitForEvent gets null). The official Python SDK app, tests/apps/python_app.py."""

import pytest
from playwright.sync_api import Page, expect

from tests.harness import STAGING, TERMINAL, DevServer, wait_until

APP = "py-app"
pytestmark = pytest.mark.skipif(STAGING, reason="time travel is off on a staging console")


def _parked(server: DevServer, event: str, data: dict, status: str) -> dict:
    [sent] = server.send({"name": f"{APP}/{event}", "data": data})
    run_id = wait_until(lambda: server.runs_for_event(sent), 30, "a run")[0]["run_id"]
    return wait_until(lambda: (r := server.run(run_id))["status"] == status and r, 30, status)


def _ended(server: DevServer, run_id: str) -> dict:
    return wait_until(lambda: (r := server.run(run_id))["status"] in TERMINAL and r, 60, "end")


def test_wake_now_on_a_sleeping_step(server: DevServer, page: Page):
    run = _parked(server, "sleep", {"seconds": 3600}, "Sleeping")
    nap = next(s for s in run["steps"] if s["name"] == "nap")
    page.goto(f"{server.url}/runs/{run['id']}/?step={nap['hashed_id']}")
    page.locator("#wake-now").click()
    expect(page.locator("body")).to_contain_text("nap woke now")
    assert _ended(server, run["id"])["output"] == "done"
    page.reload()
    expect(page.locator("#wake-now")).to_have_count(0)


def test_time_out_now_on_a_waiting_step(server: DevServer, page: Page):
    run = _parked(server, "await", {"key": "browser-tt", "timeout": 3600}, "Waiting")
    wait = next(s for s in run["steps"] if s["opcode"] == "WaitForEvent")
    page.goto(f"{server.url}/runs/{run['id']}/?step={wait['hashed_id']}")
    expect(page.locator("#wait-if")).to_contain_text("event.data.key == async.data.key")
    page.locator("#timeout-now").click()
    expect(page.locator("body")).to_contain_text("timed out now")
    assert _ended(server, run["id"])["output"] == {"signal": None}
