"""Playwright in Debian's Chromium (never a downloaded browser), one page per test, and a
screenshot of every test's last state kept under test-artifacts/screenshots/."""

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from .harness import STAGING, DevServer

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# The machine has no outside network: these keep Chromium from trying to reach it.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail("browser tests need Debian's chromium (make test installs it)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


OPERATOR = ("operator", "operator-password")


@pytest.fixture(scope="session")
def console_operator(server: DevServer) -> tuple[str, str]:
    """An operator login on the shared server (needed where it requires logins: staging)."""
    created = server.manage("console_user", OPERATOR[0], "--password", OPERATOR[1], "--operator")
    assert created.returncode == 0, created.stderr
    return OPERATOR


def log_in(tab: Page, base_url: str, username: str, password: str) -> None:
    tab.goto(f"{base_url}/accounts/login/")
    tab.locator('input[name="username"]').fill(username)
    tab.locator('input[name="password"]').fill(password)
    tab.locator('#login-form button[type="submit"]').click()
    tab.wait_for_url(lambda url: "/accounts/login/" not in url)


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
