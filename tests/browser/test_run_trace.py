"""The run page's trace in a real browser, on runs of the official SDK apps: a span per attempt
with its error on hover, durations and a time axis, the step panel beside the trace (deep
linked, kept across live refreshes), readable stacks, waits, sleeps, invokes, long runs."""

import re
import uuid

import pytest
from playwright.sync_api import Page, expect

from tests.harness import DevServer, SdkApp

DURATION = re.compile(r"^(<?\d+ ms|\d+(\.\d)? s|\d+ min( \d+ s)?)$")


@pytest.fixture
def py_app(shared: dict) -> SdkApp:
    app = shared["apps"]["py"]
    app.clear_log()
    return app


def _live(page: Page) -> None:
    """Wait until the page's websocket is connected, so no update can be missed."""
    expect(page.locator("#live-dot.on")).to_be_visible()


def _row(page: Page, name: str):  # type: ignore[no-untyped-def]
    return page.locator(f'.trace-row[data-step-name="{name}"]')


def test_run_trace_shows_attempts_and_waits(server: DevServer, py_app: SdkApp, page: Page):
    """The README's run trace: a step that failed twice then succeeded, its retry waits, the
    panel of its three attempts beside the trace."""
    key = uuid.uuid4().hex[:8]
    [event_id] = server.send({"name": py_app.event("soak"), "data": {"key": key, "kind": "flaky"}})
    run = server.wait_run(event_id, py_app.slug("soak"), timeout=60)
    assert run["status"] == "Completed"
    page.goto(f"{server.url}/runs/{run['id']}/")

    expect(page.locator("#run-took")).to_contain_text(re.compile(r"took \d"))
    ticks = page.locator(".trace-axis .tick")
    expect(ticks.first).to_have_text("0")
    assert ticks.count() >= 3
    expect(page.locator(".trace-row")).to_have_count(5)  # the run, a, wobbly, b, c
    wobbly = _row(page, "wobbly")
    failed = wobbly.locator(".span-failed")
    expect(failed).to_have_count(2)
    # The retry waits before attempts 2 and 3, then attempt 3 from its own recorded start.
    expect(wobbly.locator(".span-backoff")).to_have_count(2)
    expect(wobbly.locator(".span-retry")).to_have_count(0)  # no "start not recorded" span
    expect(wobbly.locator(".span-running")).to_have_count(1)
    for span in page.locator(".trace-row .span").all():
        assert DURATION.match(span.inner_text() or span.text_content() or ""), span.text_content()
    expect(wobbly.locator(".trace-took")).to_have_text(DURATION)

    failed.first.hover()
    expect(page.locator("#trace-tip")).to_be_visible()
    expect(page.locator("#trace-tip")).to_contain_text("attempt 1 failed after")
    expect(page.locator("#trace-tip")).to_contain_text("wobbly fails twice")
    expect(page.locator("#trace-tip")).to_contain_text("after start")

    page.evaluate("window.__notReloaded = true")
    wobbly.locator(".trace-name").click()
    expect(page).to_have_url(re.compile(r"\?step=[0-9a-f]+$"))
    panel = page.locator("#step-panel")
    expect(panel.locator("#panel-title")).to_have_text("wobbly")
    attempts = panel.locator("#step-attempts > li")
    expect(attempts).to_have_count(3)
    assert [a.get_attribute("data-attempt") for a in attempts.all()] == ["1", "2", "3"]
    expect(attempts.nth(0)).to_contain_text("Attempt 1")
    expect(attempts.nth(0)).to_contain_text("wobbly fails twice")
    expect(attempts.nth(2)).to_contain_text("completed")
    stack = attempts.nth(0).locator("pre.stack")
    assert "\\n" not in stack.inner_text() and len(stack.inner_text().splitlines()) > 1
    expect(panel.locator("#step-output")).to_contain_text('"')  # the nonce, as JSON
    expect(wobbly).to_have_class(re.compile(r"\bselected\b"))
    assert page.evaluate("window.__notReloaded") is True  # the panel came without a reload


def test_a_failed_step_says_its_error_once_with_a_readable_stack(
    server: DevServer, py_app: SdkApp, page: Page
):
    [event_id] = server.send({"name": py_app.event("doomed"), "data": {"order": "o-1"}})
    run = server.wait_run(event_id, py_app.slug("doomed"))
    assert run["status"] == "Failed"
    page.goto(f"{server.url}/runs/{run['id']}/")
    run_error = page.locator("#run-error")
    expect(run_error.locator(".error-heading")).to_contain_text("kaboom")

    _row(page, "explode").locator(".trace-name").click()
    panel = page.locator("#step-panel")
    expect(panel.locator("#panel-title")).to_have_text("explode")
    expect(panel.locator("#step-error .error-heading")).to_contain_text("kaboom")
    stack = panel.locator("#step-error pre.stack")
    assert len(stack.inner_text().splitlines()) > 1 and "\\n" not in stack.inner_text()
    # The one attempt failed with that same error: it is named, not printed a second time.
    attempts = panel.locator("#step-attempts > li")
    expect(attempts).to_have_count(1)
    expect(attempts.first).to_contain_text("Attempt 1")
    expect(attempts.first.locator(".attempt-same")).to_contain_text("the error shown above")
    expect(panel.locator(".error-block")).to_have_count(1)
    expect(panel.locator("pre.stack")).to_have_count(1)


def test_a_waiting_step_shows_its_event_expression_and_timeout(
    server: DevServer, shared: dict, page: Page
):
    js_app: SdkApp = shared["apps"]["js4"]
    order = uuid.uuid4().hex[:8]
    [event_id] = server.send({"name": js_app.event("wait"), "data": {"id": order, "timeout": 40}})
    run = server.wait_run(event_id, js_app.slug("wait-for-approval"), {"Waiting"})
    page.goto(f"{server.url}/runs/{run['id']}/")
    _live(page)
    row = _row(page, "approval")
    expect(row.locator(".span-waiting")).to_have_count(1)
    expect(row.locator(".mark")).to_have_count(1)  # the timeout, on the axis
    row.locator(".trace-name").click()
    panel = page.locator("#step-panel")
    expect(panel.locator("#wait-event")).to_have_text(js_app.event("approval"))
    expect(panel.locator("#wait-if")).to_contain_text("async.data.id")  # from match: "data.id"
    timeout = panel.locator("#wait-timeout")
    expect(timeout.locator("time[data-t]")).to_have_attribute("datetime", re.compile(r"^\d{4}-"))
    expect(timeout).to_contain_text(re.compile(r"in \d+ s"))
    expect(timeout).to_contain_text("after start")
    selected = page.url

    # The awaited event arrives: the live refresh keeps this step's panel open.
    server.send({"name": js_app.event("approval"), "data": {"id": order, "ok": True}})
    expect(panel.locator("#step-status")).to_have_text("Completed", timeout=20_000)
    expect(page.locator("#run-status")).to_have_text("Completed", timeout=20_000)
    expect(panel.locator("#panel-title")).to_have_text("approval")
    assert page.url == selected


def test_a_sleep_is_drawn_up_to_now_with_its_wake_time(
    server: DevServer, py_app: SdkApp, page: Page
):
    # 20 s: the page is read while the run still sleeps, however slow the machine (within 5 s
    # it could wake before the page was even open).
    [event_id] = server.send({"name": py_app.event("sleep"), "data": {"seconds": 20}})
    run = server.wait_run(event_id, py_app.slug("sleepy"), {"Sleeping"})
    page.goto(f"{server.url}/runs/{run['id']}/")
    row = _row(page, "nap")
    expect(row.locator(".span-sleeping")).to_have_count(1)
    expect(row.locator(".mark")).to_have_attribute("data-tip", re.compile(r"^wakes .*after start"))
    expect(page.locator("#run-took")).to_contain_text("running for")
    row.locator(".trace-name").click()
    wake = page.locator("#sleep-wake")
    expect(wake.locator("time[data-t]")).to_have_count(1)
    expect(wake).to_contain_text(re.compile(r"in \d"))
    _live(page)
    expect(page.locator("#run-status")).to_have_text("Completed", timeout=60_000)
    expect(page.locator("#step-panel #panel-title")).to_have_text("nap")
    expect(_row(page, "nap").locator(".span-sleeping")).to_have_attribute(
        "data-tip", re.compile(r"^slept")
    )


def test_an_invoke_step_shows_the_child_run_status(server: DevServer, py_app: SdkApp, page: Page):
    [event_id] = server.send({"name": py_app.event("invoke"), "data": {"x": 2, "slow": True}})
    run = server.wait_run(event_id, py_app.slug("invoker"), {"Waiting"})
    page.goto(f"{server.url}/runs/{run['id']}/")
    row = _row(page, "call-child")
    expect(row.locator(".span-invoking")).to_have_attribute(
        "data-tip", re.compile(r"child run (Queued|Running|Sleeping)")
    )
    row.locator(".trace-name").click()
    child = page.locator("#invoke-child")
    expect(child.locator("#child-status")).to_have_text(re.compile("Queued|Running|Sleeping"))
    _live(page)
    expect(child.locator("#child-status")).to_have_text("Completed", timeout=40_000)
    expect(page.locator("#run-status")).to_have_text("Completed", timeout=20_000)


def test_a_long_run_trace_is_paged_and_filtered(server: DevServer, py_app: SdkApp, page: Page):
    [event_id] = server.send({"name": py_app.event("many"), "data": {"steps": 270}})
    run = server.wait_run(event_id, py_app.slug("many-steps"), timeout=300)
    assert run["status"] == "Completed"
    page.goto(f"{server.url}/runs/{run['id']}/")
    # The latest steps first, in pages of 250 that keep their steps as the run grows.
    expect(page.locator("#trace-pages")).to_contain_text("Steps 251–270 of 270")
    expect(page.locator(".trace-row[data-step-name]")).to_have_count(20)
    page.locator("#trace-prev").click()
    expect(page.locator("#trace-pages")).to_contain_text("Steps 1–250 of 270")
    expect(page.locator(".trace-row[data-step-name]")).to_have_count(250)
    expect(_row(page, "s0")).to_be_visible()
    page.locator("#trace-q").fill("s25")
    page.locator("#trace-q").press("Enter")
    expect(page.locator(".trace-row[data-step-name]")).to_have_count(11)  # s25, s250-s259
    _row(page, "s255").locator(".trace-name").click()
    expect(page.locator("#step-output")).to_have_text("255")
    page.reload()  # the deep link, filter included
    expect(page.locator("#step-panel #panel-title")).to_have_text("s255")
    expect(_row(page, "s255")).to_have_class(re.compile(r"\bselected\b"))
