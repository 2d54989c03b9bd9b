"""The function page's charts after real runs of the official Python SDK app
(tests/apps/python_app.py, `fails-once`): the runs started and the failure are drawn as bars,
the durations as lines, and the switch to the last day keeps them; all server-drawn SVG."""

import uuid

from playwright.sync_api import Page, expect

from tests.harness import TERMINAL, DevServer, wait_until

SLUG = "py-app-fails-once"


def _ended(server: DevServer, key: str) -> dict:
    [sent] = server.send({"name": "py-app/failsonce", "data": {"key": key}})
    run_id = wait_until(lambda: server.runs_for_event(sent), 30, "a run")[0]["run_id"]
    return wait_until(lambda: (r := server.run(run_id))["status"] in TERMINAL and r, 60, "end")


def test_runs_and_failures_of_real_runs_are_charted_for_the_hour_and_the_day(
    server: DevServer, page: Page
):
    key = f"charts-{uuid.uuid4().hex[:8]}"
    assert _ended(server, key)["status"] == "Failed"  # a new key fails once
    assert _ended(server, key)["status"] == "Completed"
    stats = server.http.get(f"/api/functions/{SLUG}/stats?window=1h").json()
    assert stats["total"]["started"] >= 2 and stats["total"]["failed"] >= 1

    page.goto(f"{server.url}/functions/{SLUG}/")
    charts = page.locator("#function-charts")
    expect(charts).to_have_attribute("data-window", "1h")
    expect(page.locator("#chart-started rect.bar").first).to_be_visible()
    expect(page.locator("#chart-failed rect.bar").first).to_be_visible()
    expect(page.locator("#chart-duration polyline.p95").first).to_be_attached()
    expect(page.locator("#chart-started .chart-total")).to_contain_text(" runs")
    expect(page.locator("#chart-duration .chart-total")).to_contain_text("p95")

    page.locator('#window-switch a[data-window="1d"]').click()
    expect(charts).to_have_attribute("data-window", "1d")
    assert page.url.endswith("?window=1d")
    expect(page.locator("#chart-failed rect.bar").first).to_be_visible()
    expect(page.locator('#window-switch a[aria-current="true"]')).to_have_text("last day")
