"""A Connect app's history of workers: the gateway records each socket from its handshake to
its end, with why it ended (the worker closed it, drained first, or vanished without a close
frame); a socket whose web process died is closed as `gateway lost` when the app's next
worker connects; the Apps page, the API and the MCP tools list the history."""

from datetime import datetime, timedelta

import pytest
from asgiref.sync import async_to_sync

from console.agent import reads
from foundation import clock
from runs.connect.connect_pb2 import StartResponse
from runs.connect.protocol import DisconnectReason
from runs.models import App, ConnectSession
from tests.integration.connect_socket import T, open_socket, send_frame, start

APP = "hist-app"


async def _session_ending(started: StartResponse, pause: bool, code: int) -> None:
    socket = (await open_socket(started, app=APP, instance="w-1", capacity=None))[0]
    row = await ConnectSession.objects.aget(connection_id=started.connection_id)
    assert row.app_name == APP and row.instance_id == "w-1" and row.sdk == "py:v0.5.19"
    assert row.disconnected_at is None and row.reason == ""
    if pause:
        await send_frame(socket, T.WORKER_PAUSE)
    await socket.send_input({"type": "websocket.disconnect", "code": code})
    await socket.wait(timeout=5)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("pause", "code", "reason"),
    [
        (False, 1000, DisconnectReason.CLOSED),
        (True, 1000, DisconnectReason.DRAINING),
        (False, 1006, DisconnectReason.KILLED),  # no close frame: the process died
    ],
)
def test_a_workers_end_is_recorded_with_its_reason(client, pause, code, reason):
    started = start(client)
    async_to_sync(_session_ending)(started, pause, code)

    row = ConnectSession.objects.get(connection_id=started.connection_id)
    assert row.disconnected_at is not None and row.disconnected_at >= row.connected_at
    assert (row.reason, row.close_code) == (reason, code)


@pytest.mark.django_db(transaction=True)
def test_a_socket_lost_with_its_web_process_is_closed_when_the_next_worker_connects(client):
    async_to_sync(_connect_then_close)(start(client), "w-first")  # the app is synced
    # Left open by a web process killed while it held the socket: nothing recorded its end.
    lost = ConnectSession.objects.create(
        app_name=APP,
        connection_id="01LOSTLOSTLOSTLOSTLOSTLOST",
        instance_id="w-old",
        connected_at=clock.now() - timedelta(minutes=5),
    )
    page = client.get("/apps/").content.decode()
    assert "gone, end not recorded yet" in page  # shown as gone before anything stores it
    lost.refresh_from_db()
    assert lost.reason == "" and lost.disconnected_at is None

    started = start(client)
    async_to_sync(_connect_then_close)(started, "w-new")

    lost.refresh_from_db()
    assert lost.reason == DisconnectReason.GATEWAY_LOST and lost.disconnected_at is not None
    assert ConnectSession.objects.get(connection_id=started.connection_id).reason == "closed"


async def _connect_then_close(started: StartResponse, instance: str) -> None:
    socket = (await open_socket(started, app=APP, instance=instance, capacity=None))[0]
    await socket.send_input({"type": "websocket.disconnect", "code": 1000})
    await socket.wait(timeout=5)


@pytest.mark.django_db(transaction=True)
def test_the_apps_page_lists_the_apps_connections_newest_first(client):
    for code in (1006, 1000):
        async_to_sync(_session_ending)(start(client), False, code)

    page = client.get("/apps/").content.decode()
    history = page[page.index("Connections, newest first") :]
    assert history.index(">closed") < history.index(">killed")
    assert "(code 1006)" in history and history.count('data-session-instance="w-1"') == 2


@pytest.mark.django_db(transaction=True)
def test_the_api_and_the_agent_list_the_apps_connections_newest_first(client):
    """`GET /api/apps` and the MCP tool `list_apps` (one helper): per socket its instance,
    times, reason and close code; an open row no live gateway holds is `gone`; an app served
    over HTTP has none."""
    for code in (1006, 1000):
        async_to_sync(_session_ending)(start(client), False, code)
    ConnectSession.objects.create(
        app_name=APP, connection_id="01LOSTLOSTLOSTLOSTLOSTLOST", connected_at=clock.now()
    )
    App.objects.create(name="over-http", url="http://127.0.0.1:9/api/inngest")

    apps = {a["name"]: a for a in client.get("/api/apps").json()}
    assert apps["over-http"]["connect_history"] == apps["over-http"]["connect_workers"] == []
    history = apps[APP]["connect_history"]
    assert [(r["reason"], r["close_code"], r["gone"]) for r in history] == [
        ("", None, True),
        ("closed", 1000, False),
        ("killed", 1006, False),
    ]
    assert history[1]["instance_id"] == "w-1" and history[1]["sdk"] == "py:v0.5.19"
    assert datetime.fromisoformat(history[1]["disconnected_at"]) >= datetime.fromisoformat(
        history[1]["connected_at"]
    )
    assert history[0]["disconnected_at"] is None
    agent = {a["name"]: a for a in reads.list_apps()}
    assert agent[APP]["connect_history"] == history
