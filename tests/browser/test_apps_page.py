"""The Apps page: an app added by URL appears synced (or with its sync error) without a reload,
since the sync happens in a worker after the page answered; and an app can be removed."""

import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.harness import FUNCTION_COUNTS, DevServer, SdkApp


@pytest.fixture
def new_app(server: DevServer, tmp_path: Path) -> Iterator[SdkApp]:
    """A Python SDK app the server does not know yet."""
    app = SdkApp("py", server.url, tmp_path, app_id="added-app").start()
    try:
        yield app
    finally:
        app.process.stop()


def _add(page: Page, url: str) -> None:
    page.locator('#add-app input[name="url"]').fill(url)
    page.locator("#add-app button[type=submit]").click()
    page.wait_for_url("**/apps/")


def test_added_app_shows_up_synced_without_a_reload_and_can_be_removed(
    server: DevServer, new_app: SdkApp, page: Page
):
    page.goto(f"{server.url}/apps/")
    _add(page, new_app.url)
    page.evaluate("window.__notReloaded = true")
    row = page.locator(f'#apps-table tr[data-app-url="{new_app.url}"]')
    expect(row).to_be_visible()
    # The worker syncs it after the redirect; the table polls until it has.
    expect(row.locator("td").first).to_have_text("added-app", timeout=30_000)
    expect(row.locator("td").nth(3)).to_have_text(str(FUNCTION_COUNTS["py"]))
    expect(row.locator("time[data-t]")).to_have_count(1)
    assert page.evaluate("window.__notReloaded") is True

    page.on("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name="Remove").click()
    expect(page.locator(".messages")).to_contain_text("Removed")
    expect(page.locator(f'#apps-table tr[data-app-url="{new_app.url}"]')).to_have_count(0)
    slugs = [f["slug"] for f in server.http.get("/api/functions").json()]
    assert not any(slug.startswith("added-app-") for slug in slugs)


@pytest.fixture
def held_url() -> Iterator[tuple[str, threading.Event]]:
    """A URL whose server accepts connections and answers nothing until released, then hangs
    up: the app's sync stays pending exactly as long as the test wants."""
    release = threading.Event()
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def hold() -> None:
        while True:
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            release.wait(60)
            connection.close()

    threading.Thread(target=hold, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{port}/api/inngest", release
    finally:
        release.set()
        listener.close()


def test_a_pending_sync_updates_the_table_when_it_ends_without_a_reload(
    server: DevServer, held_url: tuple[str, threading.Event], page: Page
):
    url, release = held_url
    page.goto(f"{server.url}/apps/")
    _add(page, url)
    page.evaluate("window.__notReloaded = true")
    row = page.locator(f'#apps-table tr[data-app-url="{url}"]')
    expect(row.locator(".syncing")).to_be_visible()  # the sync is held: still pending
    release.set()  # the "app" hangs up: the sync fails
    expect(row.locator("td.error")).to_contain_text("could not reach an app", timeout=30_000)
    assert page.evaluate("window.__notReloaded") is True
    page.on("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name="Remove").click()
    expect(page.locator(f'#apps-table tr[data-app-url="{url}"]')).to_have_count(0)
