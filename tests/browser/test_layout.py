"""The layout every page shares: no page-wide horizontal scroll at phone width (390 px), the
nav folded behind a Menu button there, the Local/Relative/UTC time switch (remembered, applied
to swapped-in fragments, relative times ticking), the favicon and the dev-mode admin."""

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.chromium import log_in
from tests.harness import STAGING, DevServer, SdkApp

PHONE = {"width": 390, "height": 844}
# Every element wider than the window, outside anything that scrolls by itself: the culprits
# named in a failure.
_OVERFLOWING = """() => {
  const width = document.documentElement.clientWidth;
  const scrolls = (el) => { for (let p = el.parentElement; p; p = p.parentElement) {
    const s = getComputedStyle(p).overflowX; if (s === "auto" || s === "scroll") return true; }
    return false; };
  return Array.from(document.querySelectorAll("body *"))
    .filter((el) => el.getBoundingClientRect().right > width + 1 && !scrolls(el))
    .slice(0, 8).map((el) => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") +
      (el.className && typeof el.className === "string" ? "." + el.className.split(" ")[0] : "") +
      " " + Math.round(el.getBoundingClientRect().right) + "px");
}"""


@pytest.fixture(scope="module")
def sample(shared: dict) -> dict[str, str]:
    """One run of the Python app's multi-step function, its event and its function."""
    server: DevServer = shared["server"]
    app: SdkApp = shared["apps"]["py"]
    event_id = server.send({"name": app.event("multi"), "data": {"layout": True}})[0]
    run = server.wait_run(event_id, app.slug("multi-step"), timeout=40)
    return {"run": run["id"], "event": event_id, "function": app.slug("multi-step")}


PAGES = {
    "runs": "/runs/",
    "run-detail": "/runs/{run}/",
    "events": "/events/",
    "event-detail": "/events/{event}/",
    "send": "/events/send/",
    "functions": "/functions/",
    "function-detail": "/functions/{function}/",
    "apps": "/apps/",
    "bulk": "/bulk/",
    "audit": "/audit/",
}


@pytest.mark.parametrize("name", list(PAGES))
def test_page_fits_a_phone_without_page_wide_scroll(
    name: str, server: DevServer, sample: dict, page: Page
):
    page.set_viewport_size(PHONE)
    page.goto(server.url + PAGES[name].format(**sample))
    expect(page.locator("main h1").first).to_be_visible()
    page.locator("#nav-toggle").click()  # the open menu must fit too
    expect(page.locator("#site-nav")).to_be_visible()
    widths = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert widths[0] <= widths[1], f"{name}: {widths}; too wide: {page.evaluate(_OVERFLOWING)}"


def test_nav_folds_behind_a_menu_button_on_a_phone(server: DevServer, page: Page):
    page.goto(f"{server.url}/runs/")
    expect(page.locator("#site-nav")).to_be_visible()
    expect(page.locator("#nav-toggle")).to_be_hidden()
    page.set_viewport_size(PHONE)
    expect(page.locator("#site-nav")).to_be_hidden()
    toggle = page.locator("#nav-toggle")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    page.locator("#site-nav a", has_text="Apps").click()
    page.wait_for_url("**/apps/")
    expect(page.locator("#site-nav")).to_be_hidden()  # a new page starts folded
    expect(page.locator("main h1")).to_have_text("Apps")


def test_times_switch_between_local_relative_and_utc_and_the_choice_stays(
    browser: Browser, server: DevServer, console_operator: tuple[str, str], artifacts
):
    # A zone far from UTC, so local and UTC texts differ.
    context = browser.new_context(
        timezone_id="Asia/Kolkata", viewport={"width": 1280, "height": 900}
    )
    context.set_default_timeout(20_000)
    tab = context.new_page()
    try:
        tab.clock.install()  # a clock the test moves: relative times must tick with it
        if STAGING:
            log_in(tab, server.url, *console_operator)
        tab.goto(f"{server.url}/apps/")
        stamp = tab.locator("#apps-table time[data-t]").first
        iso = stamp.get_attribute("datetime")
        moment = datetime.fromisoformat(iso)
        local = moment.astimezone(ZoneInfo("Asia/Kolkata")).strftime("%Y-%m-%d %H:%M:%S")
        expect(stamp).to_have_text(local)  # "Auto", the default, reads local outside lists
        expect(tab.locator("#time-mode")).to_have_value("auto")
        tab.select_option("#time-mode", "utc")
        expect(stamp).to_have_text(
            moment.astimezone(ZoneInfo("UTC")).strftime("%Y-%m-%d %H:%M:%S UTC")
        )
        tab.select_option("#time-mode", "relative")
        expect(stamp).to_have_text(re.compile(r"^(just now|\d+ (s|min) ago)$"))
        tab.clock.fast_forward("03:00:00")  # three hours later the same time reads so
        expect(stamp).to_have_text(re.compile(r"^3 h ago$"))

        tab.reload()  # remembered
        expect(tab.locator("#time-mode")).to_have_value("relative")
        expect(tab.locator("#apps-table time[data-t]").first).to_have_text(
            re.compile(r" ago$|^just now$")
        )
        # A fragment swapped in by htmx comes with server text; it is switched too.
        tab.evaluate(
            """() => { document.getElementById("apps-table").dataset.old = "1";
              htmx.ajax("GET", "/apps/?fragment=table",
                        {target: "#apps-table", swap: "outerHTML"}); }"""
        )
        expect(tab.locator("#apps-table:not([data-old])")).to_have_count(1)
        expect(tab.locator("#apps-table time[data-t]").first).to_have_text(
            re.compile(r" ago$|^just now$")
        )
    finally:
        tab.screenshot(
            path=str(artifacts / "screenshots" / "test_time_switch_relative.png"), full_page=True
        )
        context.close()


def test_pages_carry_a_favicon(server: DevServer, page: Page):
    page.goto(f"{server.url}/runs/")
    href = page.locator('link[rel="icon"]').get_attribute("href")
    icon = page.request.get(server.url + href if href.startswith("/") else href)
    assert icon.status == 200 and "svg" in icon.headers["content-type"]
    assert b"<svg" in icon.body()


def test_admin_link_opens_the_admin_in_dev_mode_and_a_login_in_staging(
    browser: Browser, server: DevServer
):
    context = browser.new_context()  # nobody logged in
    tab = context.new_page()
    try:
        tab.goto(f"{server.url}/runs/")
        if STAGING:
            tab.goto(f"{server.url}/admin/")  # the console itself asks for a login first
        else:
            tab.locator("#site-nav a", has_text="Admin").click()
        tab.wait_for_load_state()
        if STAGING:
            assert "/login/" in tab.url
            expect(tab.locator('input[name="password"]')).to_be_visible()
        else:
            assert tab.url.rstrip("/").endswith("/admin")
            expect(tab.locator("#site-name")).to_be_visible()
            expect(tab.locator('input[name="password"]')).to_have_count(0)
    finally:
        context.close()
