"""The WebSocket a Connect worker holds (an ASGI app, subprotocol `v0.connect.inngest.com`):
GATEWAY_HELLO, the worker's WORKER_CONNECT (its sync), GATEWAY_CONNECTION_READY, then requests
out and acks, lease extensions, replies and heartbeats in, until WORKER_PAUSE (draining: no
new requests) or the socket closes. The sequence is the SDKs' (Python `init_handshake_handler`,
`execution_handler`; JS `strategies/core/handshake.js`, `requestProcessor.js`).

Requests reach this process through the bus (bus.py), whoever sent them; a request the socket
dies with is reported lost, so its caller fails the attempt (or takes a flushed reply). When
the web process stops, drain.py tells every worker to dial in again first."""

import asyncio
import contextlib
import logging
import time
from typing import Any

from ..registration import RegistrationError
from .bus import CONNECTED, DRAINING, READY, Worker, get_bus, request_box
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
from .drain import LIVE
from .history import record_connected, record_disconnected
from .presence import (
    hold,
    in_database,
    keep_gateway_alive,
    off_loop,
    release,
    tell_caller,
    write_history,
)
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
        if self.closed:
            return  # closed by us (a stop, missed heartbeats) or by the worker: nobody reads
        frame = ConnectMessage(kind=kind, payload=payload).SerializeToString()  # type: ignore[arg-type]
        await self._send({"type": "websocket.send", "bytes": frame})

    async def close(self, reason: str) -> None:
        if not self.closed:
            self.closed = True
            with contextlib.suppress(Exception):
                await self._send({"type": "websocket.close", "code": 1000, "reason": reason})

    # -- the web process stopping (drain.py) ---------------------------------------------------
    def stop_requests(self) -> None:
        """No request goes out over this socket any more; its end is the stop's."""
        self.draining = True
        self.end_reason = DisconnectReason.GATEWAY_CLOSED

    async def mark_draining(self) -> None:
        """No caller picks this worker any more (the registry says DRAINING)."""
        if self.worker is not None:
            await off_loop(get_bus().set_status, self.worker.connection_id, DRAINING)

    async def tell_to_move(self) -> None:
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
            await self._join()
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
            LIVE.sockets.discard(self)
            await self._gone()

    async def _join(self) -> None:
        """Among this process's sockets. During a stop it carries answers only: a worker that
        dialed in before the stop began is told to move as well."""
        LIVE.sockets.add(self)
        if LIVE.stopping:
            assert self.worker is not None  # the handshake registered it
            registered_draining = self.worker.status == DRAINING
            self.stop_requests()
            if not registered_draining:
                await self.mark_draining()
                await self.tell_to_move()

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
            await tell_caller(ack.request_id, ACKED)
        elif frame.kind == T.WORKER_REQUEST_EXTEND_LEASE:
            extend = WorkerRequestExtendLeaseData.FromString(frame.payload)
            # The queue item's lease is renewed by the process that waits for the reply; here
            # the worker only learns whether its request still counts (no new id: the Python
            # SDK stops it). Its caller holds it on the bus, not this socket: a worker told to
            # move extends the request it runs over its new socket.
            answer = WorkerRequestExtendLeaseAckData(request_id=extend.request_id)
            if await off_loop(bus.lease_held, extend.request_id):
                answer.new_lease_id = extend.lease_id or extend.request_id
            await self.send(T.WORKER_REQUEST_EXTEND_LEASE_ACK, answer.SerializeToString())
        elif frame.kind == T.WORKER_REPLY:
            reply = SDKResponse.FromString(frame.payload)
            self.inflight.discard(reply.request_id)
            await tell_caller(reply.request_id, REPLIED + frame.payload)
            ack = WorkerReplyAckData(request_id=reply.request_id)
            await self.send(T.WORKER_REPLY_ACK, ack.SerializeToString())
            LIVE.answered(reply.request_id)  # it may have been sent over another socket
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
                await tell_caller(request.request_id, LOST)
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
            if not LIVE.holds_back(request_id):  # else the stop reports it, if never answered
                await tell_caller(request_id, LOST)
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
    """DRAINING while the web process stops (no request may reach it); CONNECTED until its
    WORKER_READY when the worker says it will send one; else READY."""
    if LIVE.stopping:
        return DRAINING
    return CONNECTED if data.worker_manual_readiness_ack else READY


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
