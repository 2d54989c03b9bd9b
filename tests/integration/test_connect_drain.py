"""The web process stopping under a Connect worker that runs a step (runs/connect/drain.py), in
process: the worker is told GATEWAY_CLOSING and leaves the callers' choice (DRAINING), the stop
waits for the step's answer, which reaches its caller, then stops accepting and closes the
socket as GATEWAY_DRAINING; the end is recorded as `gateway closed`. A step still unanswered
when the drain's time is up is reported lost to its caller, which then retries it. The end to
end case, both SDKs over a real web process: tests/faults/test_connect_graceful_stop.py."""

import asyncio
from collections.abc import Iterator

import pytest
from asgiref.sync import async_to_sync
from asgiref.testing import ApplicationCommunicator

from runs.connect.bus import DRAINING, get_bus, reply_box, request_box
from runs.connect.connect_pb2 import (
    GatewayExecutorRequestData,
    SDKResponse,
    SDKResponseStatus,
    StartResponse,
    WorkerReplyAckData,
)
from runs.connect.dispatch import LOST, REPLIED
from runs.connect.drain import LIVE
from runs.connect.protocol import CloseCode, DisconnectReason
from runs.models import ConnectSession
from tests.integration.connect_socket import T, next_frame, open_socket, send_frame, start

pytestmark = pytest.mark.django_db(transaction=True)
APP = "drain-app"


@pytest.fixture(autouse=True)
def _no_stop_left_behind() -> Iterator[None]:
    """LIVE is the process's one gateway: a stop begun here must not outlive the test."""
    yield
    LIVE.stopping, LIVE.awaited, LIVE._loop = False, set(), None
    LIVE.sockets.clear()


def test_a_stop_waits_for_the_running_step_then_closes_the_socket(client) -> None:
    started = start(client)
    request_id = f"drain-{started.connection_id}"
    async_to_sync(_answered_during_the_stop)(started, request_id)

    assert get_bus().pop(reply_box(request_id), 1) == REPLIED + _reply(request_id)
    row = ConnectSession.objects.get(connection_id=started.connection_id)
    assert row.reason == DisconnectReason.GATEWAY_CLOSED and row.disconnected_at


async def _answered_during_the_stop(started: StartResponse, request_id: str) -> None:
    socket = await _running_a_step(started, request_id)
    accepting = [True]
    stop = asyncio.ensure_future(LIVE.close_gateway(30, lambda: accepting.clear(), lambda: False))
    assert (await next_frame(socket)).kind == T.GATEWAY_CLOSING
    # No caller picks it any more: told at once with the move (the socket itself already
    # hands back any request that reaches it as lost).
    await asyncio.wait_for(_until_draining(started.connection_id), 5)
    await asyncio.sleep(0.2)
    assert not stop.done() and accepting  # the step runs: the stop waits for its answer

    await send_frame(socket, T.WORKER_REPLY, _reply(request_id))
    ack = await next_frame(socket)
    assert ack.kind == T.WORKER_REPLY_ACK
    assert WorkerReplyAckData.FromString(ack.payload).request_id == request_id
    await asyncio.wait_for(stop, 10)  # answered: well before its 30 s
    assert not accepting
    await _closed_as_draining(socket)


async def _until_draining(connection_id: str) -> None:
    while (worker := get_bus().worker(connection_id)) is None or worker.status != DRAINING:
        await asyncio.sleep(0.01)


def test_a_step_unanswered_when_the_drain_ends_is_reported_lost(client) -> None:
    started = start(client)
    request_id = f"drain-{started.connection_id}"
    async_to_sync(_unanswered)(started, request_id)

    assert get_bus().pop(reply_box(request_id), 1) == LOST  # its caller retries the step


async def _unanswered(started: StartResponse, request_id: str) -> None:
    socket = await _running_a_step(started, request_id)
    await asyncio.wait_for(LIVE.close_gateway(0.5, lambda: None, lambda: False), 10)
    assert (await next_frame(socket)).kind == T.GATEWAY_CLOSING
    await _closed_as_draining(socket)


async def _running_a_step(started: StartResponse, request_id: str) -> ApplicationCommunicator:
    """A worker through its handshake, sent a request the way a caller sends it (dispatch.py)."""
    socket, ready = await open_socket(started, app=APP, instance="d-1")
    assert ready.kind == T.GATEWAY_CONNECTION_READY
    request = GatewayExecutorRequestData(request_id=request_id, app_name=APP, step_id="step")
    get_bus().push(request_box(started.connection_id), request.SerializeToString())
    sent = await next_frame(socket)
    assert sent.kind == T.GATEWAY_EXECUTOR_REQUEST
    assert GatewayExecutorRequestData.FromString(sent.payload).request_id == request_id
    return socket


async def _closed_as_draining(socket: ApplicationCommunicator) -> None:
    closed = await socket.receive_output(timeout=5)
    assert closed == {"type": "websocket.close", "code": 1000, "reason": CloseCode.GATEWAY_DRAINING}
    await socket.send_input({"type": "websocket.disconnect", "code": 1000})
    await socket.wait(timeout=5)


def _reply(request_id: str) -> bytes:
    return SDKResponse(
        request_id=request_id, status=SDKResponseStatus.DONE, body=b'"done"'
    ).SerializeToString()
