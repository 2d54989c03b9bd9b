"""The console's pages carry a Content-Security-Policy that allows scripts from its own origin
only (and the pages have no inline script left to need more), the API docs load Swagger UI
from the console itself (pinned with django-ninja, working offline), and cookies can be
marked Secure."""

import re

import pytest
from django.test import Client, override_settings

OPEN = {"REQUIRE_LOGIN": False}
PAGES = ["/runs/", "/events/", "/events/send/", "/functions/", "/apps/", "/bulk/", "/audit/"]


@override_settings(**OPEN)
@pytest.mark.django_db
@pytest.mark.parametrize("path", PAGES)
def test_every_page_has_a_policy_and_no_inline_script(path: str):
    answer = Client().get(path, follow=True)
    assert answer.status_code == 200
    policy = answer["Content-Security-Policy"]
    assert "script-src 'self';" in policy and "frame-ancestors 'none'" in policy
    html = answer.content.decode()
    inline = [s for s in re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html) if "json" not in s]
    assert inline == []
    assert not re.search(r"\son[a-z]+=", html)  # no inline event handlers either


@override_settings(**OPEN)
@pytest.mark.django_db
def test_the_api_docs_load_swagger_ui_from_the_console_itself():
    client = Client()
    docs = client.get("/api/docs").content.decode()
    assert "cdn" not in docs
    styles = re.findall(r'<link[^>]+href="([^"]+\.css)"', docs)
    assert styles and all(href.startswith("/static/ninja/") for href in styles)
    scripts = re.findall(r'<script src="([^"]+)"', docs)
    assert scripts and all(src.startswith("/static/ninja/") for src in scripts)


@pytest.mark.django_db
@override_settings(SESSION_COOKIE_SECURE=True, CSRF_COOKIE_SECURE=True)
def test_cookies_are_marked_secure_when_asked():
    answer = Client().get("/accounts/login/")
    assert answer.cookies["csrftoken"]["secure"] is True
