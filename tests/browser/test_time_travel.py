"""Time travel from the run page (dev mode): a sleeping step's panel has "Wake now", which
ends the sleep (the run completes, its last step runs once); a waiting step's panel has "Time
out now" (waitForEvent gets null) and "Send the awaited event…", a form prefilled from the
wait's `if` that keeps a mistake and resumes the run; the inspector's debounce hold and a
throttled run's page have "Release now". The official Python SDK app, tests/apps/python_app.py."""

import uuid
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.harness import STAGING, TERMINAL, DevServer, wait_until
from tests.servers import ARTIFACTS

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


def test_send_the_awaited_event_prefilled_from_the_wait(server: DevServer, page: Page):
    key = f"browser-send-{uuid.uuid4().hex[:8]}"
    run = _parked(server, "await", {"key": key, "timeout": 3600}, "Waiting")
    wait = next(s for s in run["steps"] if s["opcode"] == "WaitForEvent")
    page.goto(f"{server.url}/runs/{run['id']}/?step={wait['hashed_id']}")
    page.locator("#send-awaited").click()
    expect(page.locator("#awaited-name")).to_have_text(f"{APP}/signal")
    expect(page.locator("#awaited-data")).to_have_value(f'{{\n  "key": "{key}"\n}}')
    page.screenshot(path=str(_shots() / "time-travel-send-awaited-event.png"), full_page=True)
    page.locator("#awaited-data").fill('{"key": "not-this-run"}')
    page.locator("#send-awaited-event").click()
    expect(page.locator("#awaited-error")).to_contain_text("does not satisfy")
    expect(page.locator("#awaited-data")).to_have_value('{"key": "not-this-run"}')  # kept
    page.locator("#awaited-data").fill(f'{{"key": "{key}", "note": "sent by hand"}}')
    page.locator("#send-awaited-event").click()
    expect(page.locator("body")).to_contain_text("it resumed the wait")
    output = _ended(server, run["id"])["output"]
    assert output == {"signal": {"key": key, "note": "sent by hand"}}


def test_release_now_on_the_inspector_and_on_a_throttled_run(server: DevServer, page: Page):
    user = f"browser-hold-{uuid.uuid4().hex[:8]}"
    [held] = server.send({"name": f"{APP}/tt-debounce", "data": {"user": user, "n": 7}})
    page.goto(f"{server.url}/functions/{APP}-tt-debounced/inspector")
    hold = page.locator("#inspector-holds tr", has_text=user)
    expect(hold).to_contain_text("debounce")
    page.screenshot(path=str(_shots() / "time-travel-release-hold.png"), full_page=True)
    hold.locator("button.release-hold").click()
    expect(page.locator("body")).to_contain_text("Released the debounce")
    expect(page.locator("#inspector-holds tr", has_text=user)).to_have_count(0)
    assert server.wait_run(held, f"{APP}-tt-debounced")["output"] == 7

    first, second = server.send(
        [{"name": f"{APP}/tt-throttle", "data": {"user": user, "n": n}} for n in range(2)]
    )
    server.wait_run(first, f"{APP}-tt-throttled")
    [queued] = wait_until(lambda: server.runs_for_event(second), 30, "the throttled run")
    page.goto(f"{server.url}/runs/{queued['run_id']}/")
    expect(page.locator("#run-throttled")).to_contain_text("queued by the throttle until")
    page.screenshot(path=str(_shots() / "time-travel-release-throttled-run.png"), full_page=True)
    page.locator("#release-run").click()
    expect(page.locator("body")).to_contain_text("it starts now")
    assert _ended(server, queued["run_id"])["output"] == 1
    page.reload()
    expect(page.locator("#release-run")).to_have_count(0)


def _shots() -> Path:
    shots = ARTIFACTS / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    return shots
