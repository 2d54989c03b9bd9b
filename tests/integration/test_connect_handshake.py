"""The Connect handshake as the SDKs speak it, driven by a protobuf client written here with
the generated code: start over HTTP, then on the gateway socket hello, WORKER_CONNECT (which
syncs the app), ready, heartbeats, lease extensions; a session token the server did not grant
is refused."""

import pytest
from asgiref.sync import async_to_sync

from runs.connect.bus import get_bus
from runs.connect.connect_pb2 import (
    ConnectMessage,
    GatewayConnectionReadyData,
    StartResponse,
    WorkerRequestExtendLeaseAckData,
    WorkerRequestExtendLeaseData,
)
from runs.connect.protocol import GATEWAY_PATH
from runs.models import App, Function
from tests.integration.connect_socket import T, next_frame, open_socket, start


@pytest.mark.django_db(transaction=True)
def test_worker_connect_syncs_the_app_and_gets_ready(client):
    started = start(client)
    async_to_sync(_connect_and_beat)(started)


async def _connect_and_beat(started: StartResponse) -> None:
    assert started.gateway_endpoint == f"ws://testserver{GATEWAY_PATH}"
    socket, ready = await open_socket(started, started.session_token)

    assert ready.kind == T.GATEWAY_CONNECTION_READY
    data = GatewayConnectionReadyData.FromString(ready.payload)
    assert data.heartbeat_interval == "10s" and data.extend_lease_interval == "5s"
    app = await App.objects.aget(name="hs-app")
    assert app.url == "connect://hs-app" and app.sdk == "py:v0.5.19"
    function = await Function.objects.aget(slug="hs-app-hello")
    assert function.step_url.startswith("connect://hs-app/?fnId=hs-app-hello")

    beat = ConnectMessage(kind=T.WORKER_HEARTBEAT).SerializeToString()
    await socket.send_input({"type": "websocket.receive", "bytes": beat})
    assert (await next_frame(socket)).kind == T.GATEWAY_HEARTBEAT
    await socket.send_input({"type": "websocket.disconnect", "code": 1000})
    await socket.wait(timeout=5)


@pytest.mark.django_db(transaction=True)
def test_a_session_token_not_granted_by_start_is_refused(client):
    async_to_sync(_forged)(start(client))


async def _forged(started: StartResponse) -> None:
    socket, _ = await open_socket(started, started.session_token + "x")

    closed = await socket.receive_output(timeout=5)
    assert closed["type"] == "websocket.close"
    assert not await App.objects.filter(name="hs-app").aexists()


# JS 4.24's WORKER_STATUS, a kind the Python SDK's connect.proto (ours) does not have yet.
_WORKER_STATUS = 15


@pytest.mark.django_db(transaction=True)
def test_js_ready_and_unknown_status_frames_keep_the_socket_serving(client):
    async_to_sync(_js_frames)(start(client))


async def _js_frames(started: StartResponse) -> None:
    socket, ready = await open_socket(started, started.session_token)
    assert ready.kind == T.GATEWAY_CONNECTION_READY
    # The JS SDK sends WORKER_READY after the handshake, and WORKER_STATUS reports when the
    # ready message names a status interval (ours does not; a stray one must not end the socket).
    for kind in (T.WORKER_READY, _WORKER_STATUS):
        frame = ConnectMessage(kind=kind, payload=b"\x0a\x01x").SerializeToString()  # type: ignore[arg-type]
        await socket.send_input({"type": "websocket.receive", "bytes": frame})

    beat = ConnectMessage(kind=T.WORKER_HEARTBEAT).SerializeToString()
    await socket.send_input({"type": "websocket.receive", "bytes": beat})
    assert (await next_frame(socket)).kind == T.GATEWAY_HEARTBEAT
    await socket.send_input({"type": "websocket.disconnect", "code": 1000})
    await socket.wait(timeout=5)


@pytest.mark.django_db(transaction=True)
def test_a_lease_extension_is_granted_while_the_caller_holds_the_request(client):
    async_to_sync(_extend)(start(client))


async def _extend(started: StartResponse) -> None:
    """The request never went out over this socket: a worker told to move extends the request
    it runs over its new one, and the Python SDK stops a step whose extension is refused."""
    socket, _ = await open_socket(started, started.session_token)
    request_id = f"lease-{started.connection_id}"

    async def extend() -> WorkerRequestExtendLeaseAckData:
        data = WorkerRequestExtendLeaseData(request_id=request_id, lease_id="lease-1")
        frame = ConnectMessage(kind=T.WORKER_REQUEST_EXTEND_LEASE, payload=data.SerializeToString())
        await socket.send_input({"type": "websocket.receive", "bytes": frame.SerializeToString()})
        answer = await next_frame(socket)
        assert answer.kind == T.WORKER_REQUEST_EXTEND_LEASE_ACK
        return WorkerRequestExtendLeaseAckData.FromString(answer.payload)

    get_bus().hold_lease(request_id, 15)  # as the caller does while it waits (dispatch.py)
    granted = await extend()
    assert granted.request_id == request_id and granted.new_lease_id == "lease-1"
    get_bus().end_lease(request_id)  # the caller has its answer, or gave up
    refused = await extend()
    assert refused.request_id == request_id and not refused.HasField("new_lease_id")
    await socket.send_input({"type": "websocket.disconnect", "code": 1000})
    await socket.wait(timeout=5)
