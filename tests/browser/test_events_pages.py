"""The events list and event page in Chromium against the shared server and the official Python
SDK app: internal `inngest/*` events hidden until the toggle shows them, "send again" only for
user events (list and event page), and the list updating itself as events arrive."""

import re
import uuid

import pytest
from playwright.sync_api import Page, expect

from tests.harness import DevServer, SdkApp, wait_until

FINISHED = "inngest/function.finished"


@pytest.fixture
def py_app(shared: dict) -> SdkApp:
    return shared["apps"]["py"]


def _live(page: Page) -> None:
    """Wait until the page's websocket is connected, so no update can be missed."""
    expect(page.locator("#live-dot.on")).to_be_visible()


def _finished_event_of(server: DevServer, run_id: str) -> str:
    """The id of the `inngest/function.finished` event the server emitted for this run."""

    def emitted() -> str | None:
        params = {"name": FINISHED, "limit": 100}
        events = server.http.get("/v1/events", params=params).json()["data"]
        found = [e["internal_id"] for e in events if e["data"].get("run_id") == run_id]
        return found[0] if found else None

    return wait_until(emitted, 10, f"the {FINISHED} event of {run_id}")


def test_internal_events_are_hidden_until_the_toggle_shows_them(
    server: DevServer, py_app: SdkApp, page: Page
):
    [event_id] = server.send({"name": py_app.event("multi"), "data": {"tag": uuid.uuid4().hex}})
    run = server.wait_run(event_id, py_app.slug("multi-step"))
    finished_id = _finished_event_of(server, run["id"])

    page.goto(f"{server.url}/events/")
    expect(page.locator(f'tr[data-event-id="{event_id}"]')).to_be_visible()
    expect(page.locator(f'tr[data-event-id="{finished_id}"]')).to_have_count(0)
    expect(page.locator('#event-rows tr[data-event-name^="inngest/"]')).to_have_count(0)

    page.locator("#show-internal").check()  # submits the filter form by itself
    page.wait_for_url("**internal=1**")
    finished = page.locator(f'tr[data-event-id="{finished_id}"]')
    expect(finished).to_be_visible()
    expect(finished.locator(".badge")).to_have_text("internal")
    expect(page.locator("#show-internal")).to_be_checked()

    page.locator("#show-internal").uncheck()
    expect(page.locator(f'tr[data-event-id="{finished_id}"]')).to_have_count(0)


def test_send_again_is_offered_for_user_events_only_and_sends_a_copy(
    server: DevServer, py_app: SdkApp, page: Page
):
    tag = uuid.uuid4().hex
    [event_id] = server.send({"name": py_app.event("multi"), "data": {"tag": tag}})
    run = server.wait_run(event_id, py_app.slug("multi-step"))
    finished_id = _finished_event_of(server, run["id"])

    page.goto(f"{server.url}/events/?internal=1")
    user_row = page.locator(f'tr[data-event-id="{event_id}"]')
    expect(user_row.locator("button.send-again")).to_be_visible()
    expect(page.locator(f'tr[data-event-id="{finished_id}"] button')).to_have_count(0)

    user_row.locator("button.send-again").click()
    page.wait_for_url(lambda url: "/events/" in url and event_id not in url)
    copy_id = page.url.rstrip("/").rsplit("/", 1)[-1]
    expect(page.locator("#event-payload")).to_contain_text(tag)
    # The copy starts its own run, listed live on its page.
    expect(page.locator("#event-runs li[data-run-id]")).to_have_attribute(
        "data-status", "Completed", timeout=30_000
    )
    assert server.runs_for_event(copy_id)[0]["function_id"] == py_app.slug("multi-step")

    expect(page.locator("#send-again")).to_be_visible()  # and again, from the event page
    page.locator("#send-again").click()
    page.wait_for_url(lambda url: copy_id not in url and "/events/" in url)
    expect(page.locator("#event-payload")).to_contain_text(tag)

    page.goto(f"{server.url}/events/{finished_id}/")
    expect(page.locator("#internal-note")).to_be_visible()
    expect(page.locator("#send-again")).to_have_count(0)


def test_the_events_list_updates_itself_as_events_arrive(
    server: DevServer, py_app: SdkApp, page: Page
):
    page.goto(f"{server.url}/events/")
    _live(page)
    page.evaluate("window.__notReloaded = true")

    [event_id] = server.send({"name": py_app.event("multi"), "data": {"live": True}})
    row = page.locator(f'tr[data-event-id="{event_id}"]')
    expect(row).to_be_visible()
    expect(row.locator(".run-count")).to_have_text("1")
    expect(row.locator("time[data-t]")).to_have_attribute(
        "datetime", re.compile(r"^\d{4}-\d\d-\d\dT")
    )
    assert page.evaluate("window.__notReloaded") is True
