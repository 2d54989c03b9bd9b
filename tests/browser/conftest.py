"""Browser fixtures: one Chromium per session, one page per test, and a screenshot of every
test's last state kept under test-artifacts/{embedded,staging}/screenshots/."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.browser.chromium import CHROMIUM, CHROMIUM_ARGS, OPERATOR, log_in
from tests.harness import STAGING, DevServer


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail("browser tests need Debian's chromium (make test installs it)")
    # An assertion waits as long as an action does (20 s, set per page below), not Playwright's
    # 5 s: a live update or a form's answer can take longer on a loaded machine.
    expect.set_options(timeout=20_000)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def console_operator(server: DevServer) -> tuple[str, str]:
    """An operator login on the shared server (needed where it requires logins: staging)."""
    created = server.manage("console_user", OPERATOR[0], "--password", OPERATOR[1], "--operator")
    assert created.returncode == 0, created.stderr
    return OPERATOR


@pytest.fixture
def page(
    browser: Browser,
    artifacts: Path,
    request: pytest.FixtureRequest,
    server: DevServer,
    console_operator: tuple[str, str],
) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(20_000)
    tab = context.new_page()
    if STAGING:
        log_in(tab, server.url, *console_operator)
    yield tab
    shots = artifacts / "screenshots"
    shots.mkdir(exist_ok=True)
    name = request.node.name.replace("[", "-").replace("]", "").replace("/", "-")
    for index, open_page in enumerate(context.pages):
        suffix = "" if index == 0 else f"-tab{index + 1}"
        open_page.screenshot(path=str(shots / f"{name}{suffix}.png"), full_page=True)
    context.close()
