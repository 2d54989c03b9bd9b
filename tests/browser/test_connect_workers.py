"""The Apps page shows a Connect app's workers (instance, SDK, capacity, requests in flight,
status, last heartbeat) and its history of connections (when each came and went, and why),
and keeps them current without a reload; "Re-sync" on a Connect app explains that it syncs
over its worker's socket and records no sync error."""

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.connect_apps import connection_history
from tests.harness import APPS, STAGING, DevServer, Process, cloud_mode_env, wait_until

APP_ID = "browser-connect"


@pytest.fixture
def worker(server: DevServer, tmp_path: Path) -> Iterator[Process]:
    """A Python `inngest.connect` worker of a fresh app, capacity 3."""
    env = {
        "APP_ID": APP_ID,
        "INSTANCE_ID": "browser-w1",
        "MAX_CONCURRENCY": "3",
        "LOG_FILE": str(tmp_path / "steps.log"),
        "INNGEST_DEV": "1",
        "INNGEST_BASE_URL": server.url,
        **(cloud_mode_env(server.url) if STAGING else {}),
    }
    process = Process(
        "browser-connect", [sys.executable, str(APPS / "py_connect.py")], env, tmp_path
    )
    process.start()
    try:
        yield process
    finally:
        process.kill()


def _app(server: DevServer) -> dict | None:
    return next((a for a in server.http.get("/api/apps").json() if a["name"] == APP_ID), None)


def test_apps_page_lists_a_connect_apps_workers_live(
    server: DevServer, worker: Process, page: Page, artifacts: Path
):
    wait_until(lambda: (_app(server) or {}).get("connect_workers"), 60, "the worker to connect")
    # The socket's history row is written off the gateway's loop, just after the worker is
    # registered: wait for it too, or the page may be drawn between the two.
    wait_until(
        lambda: any(r["instance"] == "browser-w1" for r in connection_history(server, APP_ID)),
        30,
        "the connection in the app's history",
    )
    page.goto(f"{server.url}/apps/")
    page.evaluate("window.__notReloaded = true")
    row = page.locator(f'tr[data-connect-app="{APP_ID}"] tr[data-instance="browser-w1"]')
    expect(row).to_be_visible()
    cells = row.locator("td")
    expect(cells.nth(1)).to_contain_text("py:v")
    expect(cells.nth(2)).to_have_text("3")
    expect(cells.nth(3)).to_have_text("0")
    expect(cells.nth(5).locator("time[data-t]")).to_have_count(1)
    # Its connection heads the app's history, still open.
    history = page.locator(
        f'tr[data-connect-app="{APP_ID}"] table.connect-history '
        'tr[data-session-instance="browser-w1"]'
    ).first
    expect(history.locator("td").nth(3)).to_have_text("connected")
    expect(history.locator("td").nth(2).locator("time[data-t]")).to_have_count(1)

    # A step in progress counts as in flight; the table refreshes itself to show it. The step
    # lasts well past one refresh, and the run ends before the worker goes (nothing left over
    # on the shared server).
    [event_id] = server.send({"name": f"{APP_ID}/slow", "data": {"seconds": 12}})
    expect(cells.nth(3)).to_have_text("1", timeout=30_000)
    # The automatic screenshot shows the end (no worker left); this one, the worker at work.
    shots = artifacts / "screenshots"
    shots.mkdir(exist_ok=True)
    page.screenshot(path=str(shots / "connect-workers-in-flight.png"), full_page=True)
    assert server.wait_run(event_id, f"{APP_ID}-slow", timeout=60)["status"] == "Completed"
    expect(cells.nth(3)).to_have_text("0", timeout=30_000)

    # Re-sync explains itself and leaves no error behind.
    app_row = page.locator(f'#apps-table tr[data-app-url="connect://{APP_ID}"]')
    app_row.get_by_role("button", name="Re-sync").click()
    expect(page.locator(".messages")).to_contain_text("syncs over its worker's socket")
    expect(app_row.locator("td.error")).to_have_text("")
    assert (_app(server) or {}).get("sync_error", "") in ("", None)

    # The worker leaves: its row goes, the app says none is connected, still without a reload.
    worker.kill()
    page.evaluate("window.__notReloaded = true")
    workers = page.locator(f'tr[data-connect-app="{APP_ID}"]')
    expect(workers).to_contain_text("No worker connected", timeout=30_000)
    # Its history row says when and why: killed (no close frame came).
    expect(history.locator("td.reason")).to_contain_text("killed")
    expect(history.locator("td").nth(3).locator("time[data-t]")).to_have_count(1)
    assert page.evaluate("window.__notReloaded") is True
