"""The "why isn't it running?" inspector, live: opened before anything happens, it shows the
concurrency slot taken and the run holding it, the step waiting for it, and a debounce
holding an event with its release time, each pushed in by the runs websocket."""

import uuid

from playwright.sync_api import Page, expect

from tests.harness import DevServer

APP = "py-app"


def test_inspector_shows_slot_holders_and_debounce_holds_live(server: DevServer, page: Page):
    user = f"insp-{uuid.uuid4().hex[:8]}"
    page.goto(f"{server.url}/functions/{APP}-one-at-a-time/")
    page.locator("#inspector-link").click()
    expect(page.locator("h1")).to_contain_text("Why isn't it running?")
    expect(page.locator("#inspector-holds")).to_contain_text("No event held")

    server.send(
        [{"name": f"{APP}/concurrency", "data": {"user": user, "work": 15}} for _ in range(2)]
    )
    concurrency = page.locator("#inspector-concurrency")
    row = concurrency.locator("tr", has_text=user)
    # A staging worker may take a while to claim the first step: wait for the claim.
    expect(row).to_contain_text("1 / 1", timeout=30_000)
    expect(row.locator("a[href^='/runs/']")).to_have_count(1)
    expect(row.locator("td").nth(3)).to_have_text("1")  # the second run waits for the slot

    page.goto(f"{server.url}/functions/{APP}-debounced/inspector")
    [event_id] = server.send({"name": f"{APP}/debounce", "data": {"user": user, "n": 1}})
    hold = page.locator("#inspector-holds tr", has_text=user)
    expect(hold).to_contain_text("debounce")
    expect(hold.locator(f"a[href='/events/{event_id}/']")).to_be_visible()
