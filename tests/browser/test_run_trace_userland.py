"""The app's own spans and the run's metadata on the run page, in a real browser: a JS 4.x
run (npm `inngest` 4.24.0, extendedTracesMiddleware and metadata) shows its "db.query" span
as a row under the step that opened it, with a tip on hover; the step's panel lists the span,
and the run's panel its metadata."""

import hashlib

from playwright.sync_api import Page, expect

from tests.e2e.test_traces_and_metadata import traces_apps  # noqa: F401 - the apps' fixture
from tests.harness import DevServer, Process


def _hashed(step_id: str) -> str:
    return hashlib.sha1(step_id.encode()).hexdigest()


def test_a_userland_span_is_drawn_under_its_step_and_listed_in_its_panel(
    server: DevServer,
    traces_apps: dict[str, Process],  # noqa: F811 - the fixture imported above
    page: Page,
):
    [event_id] = server.send({"name": "tr-js4/traced", "data": {"order": 11}})
    run = server.wait_run(event_id, "tr-js4-traced", timeout=90)
    assert run["status"] == "Completed", run
    page.goto(f"{server.url}/runs/{run['id']}/")

    load = page.locator(f'.trace-row[data-step="{_hashed("load")}"]').first
    under = load.locator("xpath=following-sibling::*[1]")
    expect(under).to_have_class("trace-grid trace-row user-span")
    expect(under.locator(".user-span-name")).to_have_text("db.query")
    under.locator(".span-userland").hover()
    expect(page.locator("#trace-tip")).to_contain_text("db.query")

    expect(page.locator("#run-metadata")).to_contain_text("acme")
    expect(page.locator("#run-metadata")).to_contain_text("quality")

    under.click()
    expect(page.locator("#panel-title")).to_contain_text("load")
    expect(page.locator("#user-spans")).to_contain_text("db.query")
    page.locator("#user-spans summary").first.click()
    expect(page.locator("#user-spans")).to_contain_text("select * from orders where id = 11")
