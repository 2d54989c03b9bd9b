"""The dashboard in a real browser (Debian's Chromium through Playwright) against the shared dev
server and the official SDK apps: live updates, step outputs, run actions, bulk cancel."""

import json
import uuid

import pytest
from playwright.sync_api import Page, expect

from tests.harness import DevServer, SdkApp, wait_until


@pytest.fixture
def py_app(shared: dict) -> SdkApp:
    app = shared["apps"]["py"]
    app.clear_log()
    return app


def _live(page: Page) -> None:
    """Wait until the page's websocket is connected, so no update can be missed."""
    expect(page.locator("#live-dot.on")).to_be_visible()


def test_event_sent_from_the_form_shows_its_run_live(server: DevServer, py_app: SdkApp, page: Page):
    runs_tab = page
    runs_tab.goto(f"{server.url}/runs/?function={py_app.slug('sleepy')}")
    _live(runs_tab)
    runs_tab.evaluate("window.__notReloaded = true")

    form_tab = runs_tab.context.new_page()
    form_tab.goto(f"{server.url}/events/send/")
    body = {"name": py_app.event("sleep"), "data": {"seconds": 1, "tag": uuid.uuid4().hex}}
    form_tab.locator("#event-body").fill(json.dumps(body))
    form_tab.locator("#event-body").press("Control+Enter")
    expect(form_tab.locator("#send-ok")).to_contain_text("Sent 1 event")
    event_id = form_tab.locator("#send-ok a").first.inner_text()

    [run] = wait_until(lambda: server.runs_for_event(event_id), 10, "the run to start")
    row = runs_tab.locator(f'tr[data-run-id="{run["run_id"]}"]')
    expect(row).to_be_visible()
    expect(row).to_have_attribute("data-status", "Completed", timeout=20_000)
    assert runs_tab.evaluate("window.__notReloaded") is True


def test_step_output_can_be_inspected(server: DevServer, py_app: SdkApp, page: Page):
    [event_id] = server.send({"name": py_app.event("multi"), "data": {"who": "<b>me</b>"}})
    run = server.wait_run(event_id, py_app.slug("multi-step"))
    page.goto(f"{server.url}/runs/{run['id']}/")
    expect(page.locator("#run-output")).to_contain_text('"who": "<b>me</b>"')  # shown as text
    page.locator('.trace-row[data-step-name="b"]').click()
    panel = page.locator("#step-panel")
    output = panel.locator("#step-output")
    expect(output).to_be_visible()
    expect(output).to_have_text("2")
    expect(panel.locator(".badge", has_text="byte")).to_be_visible()


def test_a_sleeping_run_is_cancelled_from_its_page(server: DevServer, py_app: SdkApp, page: Page):
    [event_id] = server.send({"name": py_app.event("sleep"), "data": {"seconds": 120}})
    run = server.wait_run(event_id, py_app.slug("sleepy"), {"Sleeping"})
    page.goto(f"{server.url}/runs/{run['id']}/")
    expect(page.locator("#run-status")).to_have_text("Sleeping")
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("#cancel-run").click()
    expect(page.locator("#run-status")).to_have_text("Cancelled")
    assert server.run(run["id"])["status"] == "Cancelled"


def test_replay_starts_a_linked_run_of_every_step(server: DevServer, py_app: SdkApp, page: Page):
    [event_id] = server.send({"name": py_app.event("multi"), "data": {"replay": True}})
    original = server.wait_run(event_id, py_app.slug("multi-step"))
    page.goto(f"{server.url}/runs/{original['id']}/")
    page.locator("#replay-run").click()
    expect(page.locator("#reused-count")).to_have_text("0")
    expect(page.locator("#rerun-count")).to_have_text("3")
    page.locator("#confirm-fork").click()
    expect(page.locator("#source-run")).to_have_text(original["id"])
    _live(page)
    expect(page.locator("#run-status")).to_have_text("Completed", timeout=20_000)
    assert py_app.log_lines().count("step:a") == 2
    new_id = page.url.rstrip("/").rsplit("/", 1)[-1]
    assert server.run(new_id)["output"]["c"] == 3


def test_a_failed_run_is_retried_from_its_failed_step(
    server: DevServer, py_app: SdkApp, page: Page
):
    key = uuid.uuid4().hex[:8]
    [event_id] = server.send({"name": py_app.event("failsonce"), "data": {"key": key}})
    failed = server.wait_run(event_id, py_app.slug("fails-once"))
    assert failed["status"] == "Failed"
    page.goto(f"{server.url}/runs/{failed['id']}/")
    page.locator("#retry-run").click()
    expect(page.locator("#reused-steps")).to_have_text("prepare")
    expect(page.locator("#rerun-steps")).to_contain_text("charge")
    page.locator("#confirm-fork").click()
    _live(page)
    expect(page.locator("#run-status")).to_have_text("Completed", timeout=20_000)
    expect(page.locator("#run-output")).to_contain_text(f'"charged": "{key}"')
    lines = py_app.log_lines()
    assert lines.count(f"prepare:{key}") == 1  # reused, not run again
    assert lines.count(f"charge:{key}") == 2


def test_rerun_from_a_step_with_edited_input(server: DevServer, shared: dict, page: Page):
    js_app: SdkApp = shared["apps"]["js4"]
    js_app.clear_log()
    [event_id] = server.send({"name": js_app.event("input"), "data": {"n": 5}})
    original = server.wait_run(event_id, js_app.slug("with-input"))
    assert original["output"] == {"doubled": 10}
    page.goto(f"{server.url}/runs/{original['id']}/")
    page.locator('.trace-row[data-step-name="double"]').click()
    page.locator("#step-panel .rerun-from").click()
    expect(page.locator("#reused-steps")).to_have_text("base")
    editor = page.locator("#step-input")
    assert json.loads(editor.input_value()) == [5]
    editor.fill("[21]")
    page.locator("#confirm-fork").click()
    _live(page)
    expect(page.locator("#run-status")).to_have_text("Completed", timeout=20_000)
    expect(page.locator("#run-output")).to_contain_text('"doubled": 42')
    assert js_app.log_lines().count("step:base") == 1


def test_bulk_cancel_of_fifty_sleeping_runs(server: DevServer, py_app: SdkApp, page: Page):
    batch = uuid.uuid4().hex[:8]
    events = [
        {"name": py_app.event("sleep"), "data": {"seconds": 300, "batch": batch}} for _ in range(50)
    ]
    event_ids = server.send(events)

    selector = {"function": py_app.slug("sleepy"), "if": f'event.data.batch == "{batch}"'}

    def sleeping() -> int:
        return len(server.runs_matching(**selector, status="Sleeping", limit=100))

    wait_until(lambda: sleeping() == 50, 60, "50 runs to sleep")
    page.goto(f"{server.url}/bulk/")
    page.locator('select[name="kind"]').select_option("cancel")
    page.locator('select[name="function"]').select_option(py_app.slug("sleepy"))
    page.locator('#bulk-form input[name="if"]').fill(selector["if"])
    page.locator("#bulk-preview").click()
    expect(page.locator("#bulk-count")).to_contain_text("50 runs match")
    expect(page.locator("#bulk-runs tbody tr")).to_have_count(50)
    page.locator("#bulk-confirm").click()
    expect(page.locator("#bulk-status")).to_have_text("Completed", timeout=60_000)
    expect(page.locator("#bulk-done")).to_have_text("50")
    cancelled = server.runs_matching(**selector, limit=100)
    assert len(cancelled) == 50 and {r["status"] for r in cancelled} == {"Cancelled"}
    assert {r["event_id"] for r in cancelled} == set(event_ids)
    page.goto(f"{server.url}/bulk/")
    expect(page.locator("#bulk-history")).to_contain_text(batch)


def test_invalid_json_in_the_form_shows_an_error_and_sends_nothing(
    server: DevServer, py_app: SdkApp, page: Page
):
    before = server.http.get("/api/events", params={"limit": 1}).json()
    page.goto(f"{server.url}/events/send/")
    page.locator("#event-body").fill('{"name": "py-app/multi", "data": {')
    page.locator("#send-event").click()
    expect(page.locator("#send-error")).to_contain_text("Invalid JSON at line 1")
    page.locator("#event-body").fill('{"data": {}}')
    page.locator("#event-body").press("Control+Enter")
    expect(page.locator("#send-error")).to_contain_text("name")
    assert server.http.get("/api/events", params={"limit": 1}).json() == before
