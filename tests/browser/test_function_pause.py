"""The function page's Pause button: the page says the function is paused, an event sent
meanwhile starts nothing and its page says why, and Resume makes it start runs again."""

from playwright.sync_api import Page, expect

from tests.harness import DevServer, wait_until

APP, FUNCTION = "py-app", "py-app-multi-step"


def test_pause_and_resume_from_the_function_page(server: DevServer, page: Page):
    page.goto(f"{server.url}/functions/{FUNCTION}/")
    try:
        page.locator("#pause-function").click()
        expect(page.locator("#function-state")).to_contain_text("paused")
        expect(page.locator("#resume-function")).to_be_visible()

        [skipped] = server.send({"name": f"{APP}/multi", "data": {"paused": True}})
        wait_until(
            lambda: server.http.get("/api/decisions", params={"event": skipped}).json(),
            30,
            "the skip to be recorded",
        )
        page.goto(f"{server.url}/events/{skipped}/")
        expect(page.locator("body")).to_contain_text("the function is paused")
        assert server.runs_for_event(skipped) == []

        page.goto(f"{server.url}/functions/{FUNCTION}/")
        page.locator("#resume-function").click()
        expect(page.locator("#function-state")).to_contain_text("active")
        expect(page.locator("#pause-function")).to_be_visible()
    finally:  # the shared server's other tests need the function running
        server.http.post(f"/api/functions/{FUNCTION}/resume")
    [started] = server.send({"name": f"{APP}/multi", "data": {}})
    assert server.wait_run(started, FUNCTION)["status"] == "Completed"
