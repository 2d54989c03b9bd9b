"""The WebSocket a Connect worker holds (an ASGI app, subprotocol `v0.connect.inngest.com`):
GATEWAY_HELLO, the worker's WORKER_CONNECT (its sync), GATEWAY_CONNECTION_READY, then requests
out and acks, lease extensions, replies and heartbeats in, until WORKER_PAUSE (draining: no
new requests) or the socket closes. The sequence is the SDKs' (Python `init_handshake_handler`,
`execution_handler`; JS `strategies/core/handshake.js`, `requestProcessor.js`).

Requests reach this process through the bus (bus.py), whoever sent them; a request the socket
dies with is reported lost, so its caller fails the attempt (or takes a flushed reply). When
the web process stops, `close_gateway` tells every worker to dial in again first."""

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from typing import Any

from ..registration import RegistrationError
from .bus import DRAINING, READY, Worker, get_bus, reply_box, request_box
from .connect_pb2 import (
    ConnectMessage,
    GatewayConnectionReadyData,
    GatewayExecutorRequestData,
    GatewayMessageType,
    SDKResponse,
    WorkerConnectRequestData,
    WorkerReplyAckData,
    WorkerRequestAckData,
    WorkerRequestExtendLeaseAckData,
    WorkerRequestExtendLeaseData,
)
from .dispatch import ACKED, LOST, REPLIED
from .history import record_connected, record_disconnected
from .presence import hold, in_database, keep_gateway_alive, off_loop, release, write_history
from .protocol import (
    EXTEND_LEASE_SECONDS,
    GATEWAY_PATH,
    SUBPROTOCOL,
    CloseCode,
    DisconnectReason,
    heartbeat_seconds,
    token_connection,
    worker_gone_after,
)
from .sync import register_worker_apps, sdk_name

logger = logging.getLogger(__name__)
T = GatewayMessageType
_HANDSHAKE_SECONDS = 10.0
# Close codes of a socket the worker closed on purpose (RFC 6455: normal, going away). Any
# other end is recorded as killed: 1006 is no close frame at all, and uvicorn reports a
# connection that dropped as 1005 too (no code), as it does a close frame without one.
_CLEAN_CLOSE = (1000, 1001)
_sessions: set["_Session"] = set()  # this process's sockets, from their handshake to their end


class _Stopping:
    """This process's gateway once its web server stops (close_gateway)."""

    def __init__(self) -> None:
        self.started = False
        self.awaited: set[str] = set()  # requests running when it began, not yet answered


_stopping = _Stopping()


async def close_gateway(seconds: float, stop_accepting: Callable[[], None]) -> None:
    """The web server is stopping: each worker is told to dial in again (GATEWAY_CLOSING) and
    gets no new request. Both SDKs then dial in again at once and answer the requests they are
    running over their new socket (or `/v0/connect/flush`), so this process keeps accepting
    for up to `seconds`, until those answers are in: the sockets that open meanwhile carry
    answers but get no request either. Then `stop_accepting` and every socket is closed; the
    workers dial in again until a server is back. Without this, a stop cut the sockets
    mid-step and those steps ran again."""
    _stopping.started = True
    sessions = list(_sessions)
    _stopping.awaited = set().union(*(session.inflight for session in sessions))
    await asyncio.gather(*(session.stop_requests(tell=True) for session in sessions))
    deadline = time.monotonic() + seconds
    while _stopping.awaited and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    stop_accepting()
    await asyncio.gather(*(s.close(CloseCode.GATEWAY_DRAINING) for s in list(_sessions)))


def reply_arrived(request_id: str) -> None:
    """A worker answered `request_id`, on a socket of this process or over HTTP: no socket
    waits for it any longer (one that ends does not report it lost)."""
    _stopping.awaited.discard(request_id)
    for session in list(_sessions):
        session.inflight.discard(request_id)


class Gateway:
    """One instance serves every socket; each socket gets a `_Session`."""

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "websocket":
            return
        if (await receive())["type"] != "websocket.connect":
            return
        if SUBPROTOCOL not in scope.get("subprotocols", []):
            await send({"type": "websocket.close", "code": 1002})
            return
        await send({"type": "websocket.accept", "subprotocol": SUBPROTOCOL})
        await _Session(receive, send).run()


class _Session:
    def __init__(self, receive: Any, send: Any) -> None:
        self.receive, self._send = receive, send
        self.worker: Worker | None = None
        self.inflight: set[str] = set()  # requests sent to the worker and not yet answered
        self.last_heartbeat = time.monotonic()
        self.closed = False
        self.draining = False
        self.close_code: int | None = None  # the worker's, once its socket ended
        self.end_reason: DisconnectReason | None = None  # ours, when we end the socket

    async def send(self, kind: int, payload: bytes = b"") -> None:
        frame = ConnectMessage(kind=kind, payload=payload).SerializeToString()  # type: ignore[arg-type]
        await self._send({"type": "websocket.send", "bytes": frame})

    async def close(self, reason: str) -> None:
        if not self.closed:
            self.closed = True
            with contextlib.suppress(Exception):
                await self._send({"type": "websocket.close", "code": 1000, "reason": reason})

    async def stop_requests(self, tell: bool) -> None:
        """The web server stops (close_gateway): no new request comes over this socket, and
        with `tell` the worker is told to dial in again."""
        self.draining = True
        self.end_reason = DisconnectReason.GATEWAY_CLOSED
        if self.worker is not None:
            await off_loop(get_bus().set_status, self.worker.connection_id, DRAINING)
        if tell:
            with contextlib.suppress(Exception):  # the socket may be ending on its own
                await self.send(T.GATEWAY_CLOSING)

    async def run(self) -> None:
        await self.send(T.GATEWAY_HELLO)
        try:
            frame = await asyncio.wait_for(self._next_frame(), _HANDSHAKE_SECONDS)
            if frame is None or frame.kind != T.WORKER_CONNECT:
                await self.close(CloseCode.UNEXPECTED)
                return
            if not await self._handshake(frame.payload):
                return
            _sessions.add(self)
            if _stopping.started:
                await self.stop_requests(tell=False)  # it carries answers, no new request
            pump = asyncio.create_task(self._pump())
            watchdog = asyncio.create_task(self._watch_heartbeats())
            try:
                while (frame := await self._next_frame()) is not None:
                    await self._handle(frame)
            finally:
                pump.cancel()
                watchdog.cancel()
        except TimeoutError:
            await self.close(CloseCode.UNEXPECTED)
        finally:
            _sessions.discard(self)
            await self._gone()

    async def _next_frame(self) -> ConnectMessage | None:
        while True:
            message = await self.receive()
            if message["type"] == "websocket.disconnect":
                self.closed = True
                self.close_code = message.get("code")
                return None
            data = message.get("bytes")
            if data is None:
                continue  # text frames are not part of the protocol
            frame = ConnectMessage()
            try:
                frame.ParseFromString(data)
            except Exception:  # protobuf's DecodeError
                continue
            return frame

    async def _handshake(self, payload: bytes) -> bool:
        data = WorkerConnectRequestData()
        try:
            data.ParseFromString(payload)
        except Exception:
            await self.close(CloseCode.UNEXPECTED)
            return False
        granted = token_connection(data.auth_data.session_token)
        if granted is None or granted != data.connection_id:
            await self.close("unauthorized: session token not granted by /v0/connect/start")
            return False
        try:
            app_names = await in_database(register_worker_apps, data)
        except RegistrationError as exc:
            await self.send(T.SYNC_FAILED, str(exc).encode())
            await self.close(f"sync failed: {exc}"[:120])
            return False
        self.worker = Worker(
            connection_id=data.connection_id,
            app_names=app_names,
            instance_id=data.instance_id,
            sdk=sdk_name(data.sdk_language, data.sdk_version),
            capacity=data.max_worker_concurrency
            if data.HasField("max_worker_concurrency") and data.max_worker_concurrency > 0
            else None,
            connected_at=time.time(),
            status=_first_status(data),
        )
        await keep_gateway_alive()
        await off_loop(get_bus().register, self.worker)
        await write_history(record_connected, self.worker, hold(self.worker.connection_id))
        ready = GatewayConnectionReadyData(
            heartbeat_interval=f"{heartbeat_seconds()}s",
            extend_lease_interval=f"{EXTEND_LEASE_SECONDS}s",
        )
        await self.send(T.GATEWAY_CONNECTION_READY, ready.SerializeToString())
        logger.info(
            "connect: worker %s (%s) serves %s", data.instance_id, self.worker.sdk, app_names
        )
        return True

    async def _handle(self, frame: ConnectMessage) -> None:
        assert self.worker is not None
        cid, bus = self.worker.connection_id, get_bus()
        if frame.kind == T.WORKER_HEARTBEAT:
            self.last_heartbeat = time.monotonic()
            await off_loop(bus.heartbeat, cid)
            await self.send(T.GATEWAY_HEARTBEAT)
        elif frame.kind == T.WORKER_READY:
            if not self.draining:
                await off_loop(bus.set_status, cid, READY)
        elif frame.kind == T.WORKER_PAUSE:
            self.draining = True  # in-flight requests finish; the pump sends no new ones
            await off_loop(bus.set_status, cid, DRAINING)
        elif frame.kind == T.WORKER_REQUEST_ACK:
            ack = WorkerRequestAckData.FromString(frame.payload)
            await off_loop(bus.push, reply_box(ack.request_id), ACKED)
        elif frame.kind == T.WORKER_REQUEST_EXTEND_LEASE:
            extend = WorkerRequestExtendLeaseData.FromString(frame.payload)
            # The queue item's lease is renewed by the process that waits for the reply; here
            # the worker only learns whether its request still counts (no new id: stop).
            answer = WorkerRequestExtendLeaseAckData(request_id=extend.request_id)
            if extend.request_id in self.inflight:
                answer.new_lease_id = extend.lease_id or extend.request_id
            await self.send(T.WORKER_REQUEST_EXTEND_LEASE_ACK, answer.SerializeToString())
        elif frame.kind == T.WORKER_REPLY:
            reply = SDKResponse.FromString(frame.payload)
            reply_arrived(reply.request_id)  # maybe sent to another of its sockets
            await off_loop(bus.push, reply_box(reply.request_id), REPLIED + frame.payload)
            ack = WorkerReplyAckData(request_id=reply.request_id)
            await self.send(T.WORKER_REPLY_ACK, ack.SerializeToString())
        # Any other kind is ignored: JS 4.24's WORKER_STATUS (15, not in the Python SDK's proto
        # we compile) comes only when the ready message names a status interval, which ours
        # leaves empty; its in-flight list would tell us nothing the replies do not.

    async def _pump(self) -> None:
        """Forward the requests the bus holds for this worker; while draining, hand them back
        as lost at once (their callers retry them on another worker)."""
        assert self.worker is not None
        box, bus = request_box(self.worker.connection_id), get_bus()
        while not self.closed:
            data = await off_loop(bus.pop, box, 1.0)
            if data is None:
                continue
            request = GatewayExecutorRequestData.FromString(data)
            if self.draining:
                await off_loop(bus.push, reply_box(request.request_id), LOST)
                continue
            self.inflight.add(request.request_id)
            await self.send(T.GATEWAY_EXECUTOR_REQUEST, data)

    async def _watch_heartbeats(self) -> None:
        while not self.closed:
            await asyncio.sleep(heartbeat_seconds() / 2)
            if time.monotonic() - self.last_heartbeat > worker_gone_after():
                logger.info("connect: worker missed its heartbeats; closing its socket")
                # Set first: the close ends the main loop, which cancels this task and may
                # record the end itself (shielded below so that it is recorded either way).
                self.end_reason = DisconnectReason.HEARTBEAT_MISSED
                await self.close(CloseCode.HEARTBEATS_MISSED)
                await asyncio.shield(self._gone())
                return

    async def _gone(self) -> None:
        """The socket is over: the worker leaves the registry, its requests are lost, and the
        app's history gets the end and its reason (ours, or read from how the socket ended)."""
        self.closed = True
        if self.worker is None:
            return
        worker, self.worker = self.worker, None
        release(worker.connection_id)
        bus = get_bus()
        await off_loop(bus.drop, worker.connection_id)
        for request_id in list(self.inflight):
            await off_loop(bus.push, reply_box(request_id), LOST)
        self.inflight.clear()
        reason = self.end_reason
        if reason is None:
            if self.draining:
                reason = DisconnectReason.DRAINING
            elif self.close_code in _CLEAN_CLOSE:
                reason = DisconnectReason.CLOSED
            else:
                reason = DisconnectReason.KILLED
        await write_history(record_disconnected, worker.connection_id, reason, self.close_code)
        logger.info(
            "connect: worker %s disconnected (%s, code %s)",
            worker.instance_id,
            reason,
            self.close_code,
        )


def _first_status(data: WorkerConnectRequestData) -> str:
    """DRAINING while the web server stops (no request may reach it); CONNECTED until its
    WORKER_READY when the worker says it will send one; else READY."""
    if _stopping.started:
        return DRAINING
    return "CONNECTED" if data.worker_manual_readiness_ack else READY


def with_connect_websocket(app: Any) -> Any:
    """The gateway's path ahead of the console's websockets (devserver/asgi.py): a worker is
    no browser, so the console's origin and session checks do not apply; the session token in
    WORKER_CONNECT is its credential."""
    gateway = Gateway()

    async def route(scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] == "websocket" and scope.get("path", "").rstrip("/") == GATEWAY_PATH:
            await gateway(scope, receive, send)
        else:
            await app(scope, receive, send)

    return route
