"""The secured server's console in a browser: a read-only login sees runs but cannot cancel;
an API key can, and the cancel is audited."""

from pathlib import Path

from playwright.sync_api import Browser, expect

from tests.browser.chromium import log_in
from tests.harness import DevServer, SdkApp, wait_until


def test_a_read_only_user_sees_runs_but_cannot_cancel(
    secured: dict, browser: Browser, artifacts: Path
):
    server: DevServer = secured["server"]
    app: SdkApp = secured["apps"]["py"]
    assert server.manage("console_user", "viewer", "--password", "viewer-pw").returncode == 0
    [event_id] = server.send({"name": app.event("sleep"), "data": {"seconds": 60}})
    run = server.wait_run(event_id, app.slug("sleepy"), {"Sleeping"})
    context = browser.new_context()
    tab = context.new_page()
    try:
        log_in(tab, server.url, "viewer", "viewer-pw")
        tab.goto(f"{server.url}/runs/{run['id']}/")
        expect(tab.locator("#whoami")).to_contain_text("viewer (read-only)")
        expect(tab.locator("#cancel-run")).to_have_count(0)
        response = tab.request.post(f"{server.url}/api/runs/{run['id']}/cancel")
        assert response.status == 403
        assert server.run(run["id"])["status"] == "Sleeping"
        shots = artifacts / "screenshots"
        shots.mkdir(exist_ok=True)
        tab.screenshot(path=str(shots / "test_a_read_only_user_sees_runs_but_cannot_cancel.png"))
    finally:
        context.close()
    cancelled = server.http.post(f"/api/runs/{run['id']}/cancel")
    assert cancelled.status_code == 200
    [entry] = server.http.get("/api/audit", params={"action": "run.cancel"}).json()
    assert entry["target"] == run["id"] and entry["actor"] == "api-key"
    wait_until(lambda: server.run(run["id"])["status"] == "Cancelled", 10, "the cancel")
