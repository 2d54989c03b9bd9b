"""Playwright in Debian's Chromium (never a downloaded browser): launch options and logging in."""

import shutil

from playwright.sync_api import Page

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
OPERATOR = ("operator", "operator-password")


def log_in(tab: Page, base_url: str, username: str, password: str) -> None:
    tab.goto(f"{base_url}/accounts/login/")
    tab.locator('input[name="username"]').fill(username)
    tab.locator('input[name="password"]').fill(password)
    tab.locator('#login-form button[type="submit"]').click()
    tab.wait_for_url(lambda url: "/accounts/login/" not in url)
