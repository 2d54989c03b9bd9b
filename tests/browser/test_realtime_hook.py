"""The official React realtime hooks in a real browser: a page bundled at test time
(tests/apps/js/realtime_hook_page.jsx, served with the tokens it fetches by
realtime_hook_server.mjs) subscribes with npm `inngest` 4.24.0's `useRealtime` and with
`@inngest/realtime` 0.4.7's `useInngestSubscription`, each with a token minted server side by
its SDK's `getSubscriptionToken` for topic `status`. A JS 4.x run then publishes (realtime_app.mjs:
`status` packed, `secret`, `status` shipped): both hooks render the two `status` messages, over
the websocket straight from the browser to the server, and never the `secret` one."""

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.harness import APPS, STAGING, DevServer, Process, cloud_mode_env, free_port, wait_until

APP_ID = "rt-hook"


def _sdk_env(server: DevServer) -> dict[str, str]:
    return {
        "INNGEST_DEV": "1",
        "INNGEST_BASE_URL": server.url,
        **(cloud_mode_env(server.url) if STAGING else {}),
    }


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code in (200, 401)
    except httpx.HTTPError:
        return False


def _synced(server: DevServer) -> bool:
    return f"{APP_ID}-publish" in [f["slug"] for f in server.http.get("/api/functions").json()]


@pytest.fixture(scope="module")
def hook_page(
    server: DevServer, tmp_path_factory: pytest.TempPathFactory, artifacts: Path
) -> Iterator[str]:
    """The URL of the hooks' page, with a JS 4.x publishing app registered on the server."""
    work = tmp_path_factory.mktemp("realtime-hook")
    app_port, page_port = free_port(), free_port()
    app_env = {"APP_ID": APP_ID, "PORT": str(app_port), "SDK_MAJOR": "4", **_sdk_env(server)}
    page_env = {"PORT": str(page_port), "BUNDLE_DIR": str(work), **_sdk_env(server)}
    app_cmd = ["node", str(APPS / "js" / "realtime_app.mjs")]
    page_cmd = ["node", str(APPS / "js" / "realtime_hook_server.mjs")]
    processes = [
        Process(APP_ID, app_cmd, app_env, work).start(),
        Process("hook-page", page_cmd, page_env, work).start(),
    ]
    try:
        app_url = f"http://127.0.0.1:{app_port}/api/inngest"
        page_url = f"http://127.0.0.1:{page_port}"
        wait_until(lambda: _answers(app_url), 30, "the publishing app to serve")
        wait_until(lambda: _answers(page_url), 60, "the hooks' page to be bundled and served")
        assert server.http.post("/api/apps", json={"url": app_url}).status_code == 202
        wait_until(lambda: _synced(server), 60, "the publishing app to sync")
        yield page_url
    finally:
        for process in processes:
            process.stop()
            (artifacts / f"realtime-hook-{process.name}.log").write_text(process.output())


def test_both_react_hooks_render_the_messages_of_their_topic_as_a_run_publishes_them(
    server: DevServer, hook_page: str, page: Page
):
    order = "hook-1"
    page.goto(f"{hook_page}/?channel=orders:{order}")
    js4, realtime = page.locator("#js4"), page.locator("#realtime")
    # Messages are not kept: publish only once both hooks hold their socket.
    expect(js4).to_have_attribute("data-state", "open")
    expect(realtime).to_have_attribute("data-state", "active")

    [event_id] = server.send({"name": f"{APP_ID}/publish", "data": {"order": order}})
    run = server.wait_run(event_id, f"{APP_ID}-publish")
    assert run["status"] == "Completed", run

    for panel in (js4, realtime):
        expect(panel.locator("li")).to_have_text(['{"status":"packed"}', '{"status":"shipped"}'])
        expect(panel).to_have_attribute("data-error", "")
    assert "4242" not in page.content()  # the `secret` topic is outside both tokens
