"""Access control of the staging console, in process: logins, read-only vs operator, API keys,
event keys, SDK bearer tokens, CSRF, and the verification of signed SDK responses."""

import hashlib
import json

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client, override_settings

from console.models import AuditEntry
from runs import signing
from runs.protocol import FunctionCompleted, FunctionErrored
from runs.sdk_client import call_function
from tests.fake_http import JsonHandler, serving, sign_response

pytestmark = pytest.mark.django_db
KEY = "signkey-prod-" + "0123456789abcdef" * 4
OTHER_KEY = "signkey-prod-" + "fedcba9876543210" * 4
SECURED = {
    "REQUIRE_LOGIN": True,
    "SIGNING_KEY": KEY,
    "SIGNING_KEY_FALLBACK": "",
    "EVENT_KEYS": ["k1", "k2"],
}


@pytest.fixture
def reader() -> User:
    call_command("console_user", "reader", "--password", "pw-reader")
    return User.objects.get(username="reader")


@pytest.fixture
def operator() -> User:
    call_command("console_user", "oper", "--password", "pw-oper", "--operator")
    return User.objects.get(username="oper")


def _log_in(client: Client, username: str, password: str) -> None:
    """Through the login form, as a person does (the login throttle needs the request)."""
    client.get("/accounts/login/")  # the form sets the CSRF cookie
    token = client.cookies["csrftoken"].value
    fields = {"username": username, "password": password, "csrfmiddlewaretoken": token}
    answer = client.post("/accounts/login/", fields)
    assert answer.status_code == 302, answer.content


@override_settings(**SECURED)
def test_anonymous_users_are_sent_to_login_and_get_401_from_the_api(client: Client):
    page = client.get("/runs/?status=Failed")
    assert page.status_code == 302 and page["Location"].startswith("/accounts/login/?next=")
    assert client.get("/accounts/login/").status_code == 200
    for path in ("/api/runs", "/api/openapi.json", "/v1/events"):
        response = client.get(path)
        assert response.status_code == 401 and "authentication required" in response.json()["error"]


@override_settings(**SECURED)
def test_the_raw_signing_key_opens_the_api_and_the_hash_the_sdks_send_does_not(client: Client):
    """The hashed key travels with every SDK request (over plain HTTP in many set-ups): it is
    an SDK credential only, never an operator's."""
    hashed = hashlib.sha256(bytes.fromhex(KEY.split("-", 2)[2])).hexdigest()
    assert client.get("/api/runs", HTTP_AUTHORIZATION=f"Bearer {KEY}").status_code == 200
    for token in (hashed, f"signkey-prod-{hashed}", OTHER_KEY):
        refused = client.post(
            "/api/runs/01NOSUCHRUN0000000000000000/cancel", HTTP_AUTHORIZATION=f"Bearer {token}"
        )
        assert refused.status_code == 401
        assert client.get("/api/runs", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 401


@override_settings(**SECURED)
def test_a_read_only_user_can_look_but_not_cancel(client: Client, reader: User):
    _log_in(client, "reader", "pw-reader")
    assert client.get("/runs/").status_code == 200
    page = client.post("/runs/01NOSUCHRUN0000000000000000/cancel")
    assert page.status_code == 403 and "need an operator" in page.content.decode()
    api = client.post("/api/runs/01NOSUCHRUN0000000000000000/cancel")
    assert api.status_code == 403 and "operator" in api.json()["error"]
    assert "(read-only)" in client.get("/runs/").content.decode()


@override_settings(**SECURED)
def test_an_operator_acts_with_csrf_and_is_audited(operator: User):
    browser = Client(enforce_csrf_checks=True)
    _log_in(browser, "oper", "pw-oper")
    body = json.dumps({"name": "shop/order.placed", "data": {}})
    without_token = browser.post("/api/events", data=body, content_type="application/json")
    assert without_token.status_code == 403  # a logged-in browser must prove intent
    browser.get("/runs/")  # sets the CSRF cookie
    token = browser.cookies["csrftoken"].value
    sent = browser.post(
        "/api/events", data=body, content_type="application/json", HTTP_X_CSRFTOKEN=token
    )
    assert sent.status_code == 200
    entry = AuditEntry.objects.get(action="event.send")
    assert entry.actor == "oper" and entry.target == sent.json()["ids"][0]
    assert "event.send" in browser.get("/audit/").content.decode()


@override_settings(**SECURED)
def test_unknown_event_keys_get_401_and_known_keys_work(client: Client):
    event = json.dumps({"name": "a"})
    unknown = client.post("/e/nope", data=event, content_type="application/json")
    assert unknown.status_code == 401
    assert unknown.json() == {"error": "Event key not found", "status": 401}
    for key in ("k1", "k2"):
        known = client.post(f"/e/{key}", data=event, content_type="application/json")
        assert known.status_code == 200 and known.json()["status"] == 200


@override_settings(**SECURED, OUT_OF_BAND_SYNC=True)  # tests/security: syncs we asked for
def test_sdk_endpoints_need_the_hashed_signing_key(client: Client):
    register = client.post("/fn/register", data="{}", content_type="application/json")
    assert register.status_code == 401 and register.json()["status"] == 401
    checkpoint = client.post("/v1/checkpoint/01X/async", data="{}", content_type="application/json")
    assert checkpoint.status_code == 401
    hashed = hashlib.sha256(bytes.fromhex(KEY.split("-", 2)[2])).hexdigest()
    authorized = client.post(
        "/fn/register",
        data="{}",
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer signkey-prod-{hashed}",
    )
    assert authorized.status_code == 400  # past the door; the body is what is wrong


def test_dev_mode_is_open_as_the_inngest_dev_server_is(client: Client):
    with override_settings(REQUIRE_LOGIN=False, SIGNING_KEY="", EVENT_KEYS=[]):
        assert client.get("/runs/").status_code == 200
        assert client.get("/api/runs").status_code == 200
        posted = client.post("/e/any-key", data='{"name": "a"}', content_type="application/json")
        assert posted.status_code == 200


class _SignedApp(JsonHandler):
    """Answers like an SDK in production mode; the test picks the key and what to tamper."""

    key = KEY
    tamper = False

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        signed = json.dumps({"ok": True}).encode()
        sent = json.dumps({"ok": "tampered"}).encode() if self.tamper else signed
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("X-Inngest-Signature", sign_response(signed, self.key))
        self.end_headers()
        self.wfile.write(sent)


@pytest.mark.parametrize(
    ("key", "tamper", "accepted"),
    [(KEY, False, True), (OTHER_KEY, False, False), (KEY, True, False)],
    ids=["signed", "wrong-key", "tampered-body"],
)
def test_sdk_responses_must_carry_our_signature(key: str, tamper: bool, accepted: bool):
    handler = type("App", (_SignedApp,), {"key": key, "tamper": tamper})
    with override_settings(SIGNING_KEY=KEY, SIGNING_KEY_FALLBACK=""), serving(handler) as url:
        outcome = call_function(f"{url}/api/inngest", signing.canonical_json({"a": 1}))
    if accepted:
        assert outcome == FunctionCompleted({"ok": True})
    else:
        assert isinstance(outcome, FunctionErrored)
        assert outcome.error["name"] == "SignatureInvalid"


def test_a_rotated_key_still_verifies_through_the_fallback():
    handler = type("App", (_SignedApp,), {"key": OTHER_KEY})
    settings = {"SIGNING_KEY": KEY, "SIGNING_KEY_FALLBACK": OTHER_KEY}
    with override_settings(**settings), serving(handler) as url:
        assert call_function(f"{url}/x", b"{}") == FunctionCompleted({"ok": True})
