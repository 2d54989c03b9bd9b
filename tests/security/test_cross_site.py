"""Another site's page can change nothing and watch nothing, in every mode: a state-changing
API request a browser marks as cross-site is refused (a text/plain POST from another origin
confirmed a bulk cancel of every active run on the open dev console), and a live stream opens
only for a page of the console itself, even with ALLOWED_HOSTS=*."""

import pytest
from channels.testing import WebsocketCommunicator
from django.test import Client, override_settings

from devserver.asgi import application
from runs.models import BulkAction
from tests import one_loop

DEV = {"REQUIRE_LOGIN": False, "ALLOWED_HOSTS": ["*"]}
BULK = '{"kind": "cancel"}'


@override_settings(**DEV)
@pytest.mark.django_db
@pytest.mark.parametrize(
    "headers",
    [
        {"HTTP_ORIGIN": "http://evil.example"},
        {"HTTP_SEC_FETCH_SITE": "cross-site"},
        {"HTTP_ORIGIN": "null"},
    ],
    ids=["foreign origin", "fetch metadata", "opaque origin"],
)
def test_a_cross_site_state_change_is_refused_on_the_open_dev_console(headers: dict):
    answer = Client().post("/api/bulk?confirm=true", BULK, content_type="text/plain", **headers)
    assert answer.status_code == 403 and "cross-site" in answer.json()["error"]
    assert not BulkAction.objects.exists()


@override_settings(**DEV)
@pytest.mark.django_db
@pytest.mark.parametrize(
    "headers",
    [{}, {"HTTP_ORIGIN": "http://testserver", "HTTP_SEC_FETCH_SITE": "same-origin"}],
    ids=["a script (no origin)", "the console's own page"],
)
def test_scripts_and_the_consoles_own_pages_still_act(headers: dict):
    answer = Client().post("/api/bulk", BULK, content_type="application/json", **headers)
    assert answer.status_code == 201


def _websocket_opens(origin: bytes) -> bool:
    async def attempt() -> bool:
        headers = [(b"host", b"console.test:8288"), (b"origin", origin)]
        communicator = WebsocketCommunicator(application, "/ws/runs/", headers=headers)
        connected, _ = await communicator.connect()
        await communicator.disconnect()
        return connected

    return one_loop.run(attempt())


@override_settings(**DEV)
@pytest.mark.django_db(transaction=True)
def test_a_live_stream_opens_only_for_the_consoles_own_pages():
    assert _websocket_opens(b"http://console.test:8288")
    assert not _websocket_opens(b"http://evil.example")
    assert not _websocket_opens(b"http://console.test:9999")
