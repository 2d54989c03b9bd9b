"""App URLs cannot turn the console into a probe of its network, and dead apps cost nothing:
an allow-list of app hosts or networks (DEVSERVER_APP_HOSTS); sync errors that never echo what
a non-SDK answered nor tell a refused port from a closed one; a failing app backs off; apps can
be removed from the page, the API and the CLI."""

import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler

import pytest
from django.core.management import CommandError, call_command
from django.test import Client, override_settings

from runs.models import App, Function, Run
from runs.sync import check_app_url, poll_apps, sync_app
from tests.fake_http import serving
from tests.integration.drive import TimeTravel, run_until_quiet, send_event
from tests.integration.fake_sdk import FakeSdk, completed, ops, sleep

OPEN = {"REQUIRE_LOGIN": False, "SDK_URLS": [], "DISCOVERY": False}


class NotAnSdk(BaseHTTPRequestHandler):
    """An internal service that answers anything with a page it should not show."""

    calls = 0

    def do_PUT(self) -> None:  # noqa: N802 - http.server's naming
        NotAnSdk.calls += 1
        body = b"<html>INTERNAL ADMIN PAGE: db password hunter2</html>"
        self.send_response(404)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def internal_service() -> Iterator[str]:
    NotAnSdk.calls = 0
    with serving(NotAnSdk) as url:
        yield f"{url}/api/inngest"


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _resetting_port() -> int:
    """A port that accepts and closes at once (a service speaking another protocol)."""
    listener = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            conn.close()

    threading.Thread(target=serve, daemon=True).start()
    return listener.getsockname()[1]


@override_settings(**OPEN, APP_HOSTS=["apps.example.internal", "*.svc.test", "10.20.0.0/16"])
@pytest.mark.django_db
def test_only_allowed_hosts_and_networks_may_be_app_urls():
    check_app_url("http://apps.example.internal:3000/api/inngest")
    check_app_url("http://orders.svc.test/api/inngest")
    answer = Client().post(
        "/api/apps", {"url": "http://127.0.0.1:5432/"}, content_type="application/json"
    )
    assert answer.status_code == 400 and "DEVSERVER_APP_HOSTS" in answer.json()["error"]
    assert not App.objects.exists()
    error = sync_app("http://169.254.169.254/latest/meta-data")
    assert "not among the allowed app hosts" in error


@override_settings(**OPEN, APP_HOSTS=["127.0.0.0/8"])
@pytest.mark.django_db
def test_a_network_allows_the_hosts_that_resolve_into_it(internal_service: str):
    check_app_url(internal_service)
    check_app_url(internal_service.replace("127.0.0.1", "localhost"))


@override_settings(**OPEN)
@pytest.mark.django_db
def test_a_sync_error_never_echoes_a_non_sdk_answer(internal_service: str):
    error = sync_app(internal_service)
    assert "HTTP 404" in error and "not an Inngest SDK serve endpoint" in error
    assert "hunter2" not in error and "INTERNAL" not in error
    assert App.objects.get(url=internal_service).sync_error == error


@override_settings(**OPEN)
@pytest.mark.django_db
def test_a_refused_port_and_a_closed_connection_read_the_same():
    refused = sync_app(f"http://127.0.0.1:{_closed_port()}/api/inngest")
    reset = sync_app(f"http://127.0.0.1:{_resetting_port()}/api/inngest")
    assert refused.split(" at ")[0] == reset.split(" at ")[0] == "could not reach an app"


@override_settings(**OPEN, POLL_INTERVAL=5)
@pytest.mark.django_db
def test_a_failing_app_backs_off(internal_service: str, time_travel: TimeTravel):
    App.objects.create(url=internal_service)
    poll_apps()
    poll_apps()  # backing off: not asked again yet
    assert NotAnSdk.calls == 1
    app = App.objects.get(url=internal_service)
    assert app.sync_failures == 1 and app.next_sync_at is not None
    time_travel.advance(11)
    poll_apps()
    assert NotAnSdk.calls == 2
    assert App.objects.get(url=internal_service).sync_failures == 2  # next wait: 20 s


@override_settings(**OPEN)
def test_an_app_is_removed_with_its_functions_and_runs_but_not_while_runs_go_on(
    fake_sdk: FakeSdk, time_travel: TimeTravel
):
    fake_sdk.add_function("fake-napping", [ops(sleep("nap", "60s")), completed("done")])
    app = fake_sdk.sync()
    send_event("test/go")
    run_until_quiet()  # the run sleeps: still going

    client = Client()
    busy = client.delete(f"/api/apps/{app.pk}")
    assert busy.status_code == 409 and "cancel them first" in busy.json()["error"]
    assert App.objects.filter(pk=app.pk).exists()

    time_travel.advance(61)
    run_until_quiet()  # the run ends
    assert client.delete(f"/api/apps/{app.pk}").status_code == 200
    assert not App.objects.exists() and not Function.objects.exists() and not Run.objects.exists()


@override_settings(**OPEN)
@pytest.mark.django_db
def test_the_page_and_the_cli_remove_apps_too():
    page_app = App.objects.create(url="http://127.0.0.1:3001/api/inngest")
    cli_app = App.objects.create(url="http://127.0.0.1:3002/api/inngest")
    assert Client().post(f"/apps/{page_app.pk}/remove").status_code == 302
    call_command("apps", "remove", cli_app.url)
    assert not App.objects.exists()
    with pytest.raises(CommandError, match="no app at"):
        call_command("apps", "remove", cli_app.url)
