"""A Connect worker's socket on the gateway, in process (asgiref's ApplicationCommunicator),
spoken with the generated protobuf code: start over HTTP, the handshake, frames either way."""

import json

from asgiref.testing import ApplicationCommunicator

from runs.connect.connect_pb2 import (
    AppConfiguration,
    AuthData,
    ConnectMessage,
    GatewayMessageType,
    StartRequest,
    StartResponse,
    WorkerConnectRequestData,
)
from runs.connect.gateway import Gateway
from runs.connect.protocol import GATEWAY_PATH, SUBPROTOCOL

T = GatewayMessageType


def functions_of(app: str) -> list[dict]:
    """The app's one function, `{app}-hello`, run by `{app}/hello`, its step over Connect."""
    slug = f"{app}-hello"
    url = f"wss://connect?fnId={slug}&stepId=step"
    step = {"id": "step", "name": "step", "runtime": {"type": "http", "url": url}}
    return [
        {
            "id": slug,
            "name": "hello",
            "triggers": [{"event": f"{app}/hello"}],
            "steps": {"step": step},
        }
    ]


def start(client) -> StartResponse:
    response = client.post(
        "/v0/connect/start",
        StartRequest().SerializeToString(),
        content_type="application/protobuf",
    )
    assert response.status_code == 200
    return StartResponse.FromString(response.content)


async def next_frame(socket: ApplicationCommunicator) -> ConnectMessage:
    message = await socket.receive_output(timeout=10)
    assert message["type"] == "websocket.send", message
    return ConnectMessage.FromString(message["bytes"])


async def send_frame(socket: ApplicationCommunicator, kind: int, payload: bytes = b"") -> None:
    frame = ConnectMessage(kind=kind, payload=payload).SerializeToString()  # type: ignore[arg-type]
    await socket.send_input({"type": "websocket.receive", "bytes": frame})


async def open_socket(
    started: StartResponse,
    token: str | None = None,
    app: str = "hs-app",
    instance: str = "hs-1",
    capacity: int | None = 2,
) -> tuple[ApplicationCommunicator, ConnectMessage]:
    """Hello, then the worker's WORKER_CONNECT with `token` (the granted one by default); the
    gateway's answer (GATEWAY_CONNECTION_READY) when the token was the granted one."""
    token = started.session_token if token is None else token
    scope = {"type": "websocket", "path": GATEWAY_PATH, "subprotocols": [SUBPROTOCOL]}
    socket = ApplicationCommunicator(Gateway(), scope)
    await socket.send_input({"type": "websocket.connect"})
    accepted = await socket.receive_output(timeout=5)
    assert accepted == {"type": "websocket.accept", "subprotocol": SUBPROTOCOL}
    assert (await next_frame(socket)).kind == T.GATEWAY_HELLO
    hello = WorkerConnectRequestData(
        connection_id=started.connection_id,
        instance_id=instance,
        auth_data=AuthData(session_token=token, sync_token=started.sync_token),
        apps=[AppConfiguration(app_name=app, functions=json.dumps(functions_of(app)).encode())],
        sdk_language="py",
        sdk_version="0.5.19",
        framework="connect",
    )
    if capacity is not None:
        hello.max_worker_concurrency = capacity
    await send_frame(socket, T.WORKER_CONNECT, hello.SerializeToString())
    if token != started.session_token:
        return socket, ConnectMessage()
    return socket, await next_frame(socket)
