"""With a signing key, `POST /fn/register` authenticated by the SDK's credential (the key's
hash, which travels with every SDK request) is accepted only in answer to a sync this server
asked for, once and within minutes: a captured registration cannot be replayed or sent again
later with other functions or URLs. An operator's raw key may register at any time."""

import json
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client, override_settings

from runs.models import App
from runs.signing import hashed_key
from runs.sync import SYNC_REQUEST_VALID_FOR, sync_app
from tests.fake_http import JsonHandler, serving
from tests.integration.drive import TimeTravel

KEY = "signkey-prod-" + "ab" * 32
SECURED = {"SIGNING_KEY": KEY, "SIGNING_KEY_FALLBACK": "", "OUT_OF_BAND_SYNC": False}


class SyncedApp(JsonHandler):
    """Answers our sync's PUT as an SDK does and remembers the deployId it was given."""

    deploy_ids: list[str] = []

    def do_PUT(self) -> None:  # noqa: N802 - http.server's naming
        query = parse_qs(urlsplit(self.path).query)
        SyncedApp.deploy_ids.append(query["deployId"][0])
        self.reply_json(200, {"message": "registered"})


@pytest.fixture
def app_url() -> Iterator[str]:
    SyncedApp.deploy_ids = []
    with serving(SyncedApp) as url:
        yield f"{url}/api/inngest"


def _register(url: str, deploy_id: str | None, token: str) -> int:
    body = {
        "url": url,
        "appName": "replayed",
        "deployType": "ping",
        "sdk": "py:v0.5.19",
        "v": "0.1",
        "framework": "test",
        "functions": [],
    }
    path = "/fn/register" + (f"?deployId={deploy_id}" if deploy_id else "")
    answer = Client().post(
        path,
        json.dumps(body),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    return answer.status_code


@override_settings(**SECURED)
@pytest.mark.django_db
def test_a_registration_answering_our_sync_is_accepted_once(app_url: str):
    assert sync_app(app_url) == ""
    [deploy_id] = SyncedApp.deploy_ids
    sdk_token = hashed_key(KEY)

    assert _register(app_url, deploy_id, sdk_token) == 200
    assert _register(app_url, deploy_id, sdk_token) == 401  # the same registration, replayed
    assert App.objects.filter(url=app_url).exists()


@override_settings(**SECURED)
@pytest.mark.django_db
def test_a_registration_nobody_asked_for_is_refused(app_url: str):
    assert _register(app_url, None, hashed_key(KEY)) == 401
    assert _register(app_url, "01JUSTMADEUP0000000000000000", hashed_key(KEY)) == 401
    assert not App.objects.filter(url=app_url, synced_at__isnull=False).exists()


@override_settings(**SECURED)
@pytest.mark.django_db
def test_a_sync_answered_too_late_is_refused(app_url: str, time_travel: TimeTravel):
    sync_app(app_url)
    [deploy_id] = SyncedApp.deploy_ids
    time_travel.advance(SYNC_REQUEST_VALID_FOR.total_seconds() + 1)
    assert _register(app_url, deploy_id, hashed_key(KEY)) == 401


@override_settings(**SECURED)
@pytest.mark.django_db
def test_an_operators_raw_key_may_register_any_time(app_url: str):
    assert _register(app_url, None, KEY) == 200
