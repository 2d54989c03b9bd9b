"""Where the executor meets the gateway: the registry of connected workers and the mailboxes
that carry a request to the web process holding the worker's socket and its reply back.

Staging (REDIS_URL): Redis, so a Celery worker reaches a worker attached to any web process;
otherwise one process holds both sides and the same shapes live in memory. Nothing here is
the truth about a run: a lost message is a failed attempt that the executor retries, and a
worker's entry lapses unless its heartbeats keep it (protocol.MISSED_HEARTBEATS). A worker
also counts only while the web process holding its socket is alive (its gateway key, renewed
every second): a killed web process takes its workers out of the registry within
GATEWAY_TTL seconds, not after their missed heartbeats, so no request goes to a socket that
died with it while the workers dial in again."""

import dataclasses
import json
import math
import queue
import threading
import time
from collections import defaultdict
from typing import Any, Protocol

import redis
from django.conf import settings
from ulid import ULID

from .protocol import worker_gone_after

CONNECTED, READY, DRAINING = "CONNECTED", "READY", "DRAINING"
_MAILBOX_TTL = 600  # a request or reply nobody picked up is dropped with its key
# This process's gateway, named in the entries of the workers whose sockets it holds.
GATEWAY_ID = str(ULID())
# A gateway renews its key every GATEWAY_RENEW_SECONDS; past GATEWAY_TTL unrenewed (a killed
# process, or one whose loop stalls that long) its workers are out of the registry.
GATEWAY_RENEW_SECONDS = 1.0
GATEWAY_TTL = 5


@dataclasses.dataclass
class Worker:
    connection_id: str
    app_names: list[str]
    instance_id: str
    sdk: str
    capacity: int | None  # the worker's max_worker_concurrency; None: unbounded
    connected_at: float
    status: str = READY
    inflight: int = 0
    last_heartbeat: float = 0.0
    gateway_id: str = GATEWAY_ID  # the process holding the socket


class Bus(Protocol):
    def register(self, worker: Worker) -> None: ...
    def heartbeat(self, connection_id: str) -> None: ...
    def set_status(self, connection_id: str, status: str) -> None: ...
    def drop(self, connection_id: str) -> None: ...
    def worker(self, connection_id: str) -> Worker | None: ...
    def workers(self, app_name: str) -> list[Worker]: ...
    def reserve(self, connection_id: str) -> bool: ...
    def release(self, connection_id: str) -> None: ...
    def push(self, key: str, data: bytes) -> None: ...
    def pop(self, key: str, timeout: float) -> bytes | None: ...
    def renew_gateway(self, gateway_id: str) -> None: ...
    def hold_lease(self, request_id: str, seconds: float) -> None: ...
    def send_request(self, connection_id: str, request_id: str, data: bytes, lease: float) -> None:
        """Hold the request's lease for `lease` seconds and queue it for the worker's socket."""

    def end_lease(self, request_id: str) -> None: ...
    def lease_held(self, request_id: str) -> bool: ...


def request_box(connection_id: str) -> str:
    return f"connect:req:{connection_id}"


def reply_box(request_id: str) -> str:
    return f"connect:reply:{request_id}"


def lease_key(request_id: str) -> str:
    """Held by the caller while it waits for the request's answer (dispatch.py): the gateway
    renews a worker's lease on the request only while it exists, over whichever socket the
    worker asks."""
    return f"connect:lease:{request_id}"


class MemoryBus:
    """One process: the executor's threads and the gateway's loop share these dicts."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._workers: dict[str, Worker] = {}
        self._boxes: defaultdict[str, queue.Queue[bytes]] = defaultdict(queue.Queue)
        self._leases: dict[str, float] = {}  # request id -> when it lapses (monotonic)

    def register(self, worker: Worker) -> None:
        with self._lock:
            worker.last_heartbeat = time.time()
            self._workers[worker.connection_id] = worker

    def heartbeat(self, connection_id: str) -> None:
        with self._lock:
            if w := self._workers.get(connection_id):
                w.last_heartbeat = time.time()

    def set_status(self, connection_id: str, status: str) -> None:
        with self._lock:
            if w := self._workers.get(connection_id):
                w.status = status

    def drop(self, connection_id: str) -> None:
        with self._lock:
            self._workers.pop(connection_id, None)
            self._boxes.pop(request_box(connection_id), None)

    def worker(self, connection_id: str) -> Worker | None:
        with self._lock:
            w = self._workers.get(connection_id)
            # Lapsed like a Redis key would: heartbeats stopped though the socket looks open.
            if w is None or time.time() - w.last_heartbeat > worker_gone_after():
                return None
            return dataclasses.replace(w)

    def workers(self, app_name: str) -> list[Worker]:
        with self._lock:
            ids = [cid for cid, w in self._workers.items() if app_name in w.app_names]
        return [w for cid in ids if (w := self.worker(cid)) is not None]

    def reserve(self, connection_id: str) -> bool:
        with self._lock:
            w = self._workers.get(connection_id)
            if w is None or w.status != READY:
                return False
            if w.capacity is not None and w.inflight >= w.capacity:
                return False
            w.inflight += 1
            return True

    def release(self, connection_id: str) -> None:
        with self._lock:
            if (w := self._workers.get(connection_id)) and w.inflight > 0:
                w.inflight -= 1

    def push(self, key: str, data: bytes) -> None:
        with self._lock:
            box = self._boxes[key]
        box.put(data)

    def pop(self, key: str, timeout: float) -> bytes | None:
        with self._lock:
            box = self._boxes[key]
        try:
            return box.get(timeout=timeout)
        except queue.Empty:
            return None
        finally:
            if key.startswith("connect:reply:") and box.empty():
                with self._lock:
                    self._boxes.pop(key, None)

    def renew_gateway(self, gateway_id: str) -> None:
        """Nothing to do: the gateway is this process, which dies with its registry."""

    def hold_lease(self, request_id: str, seconds: float) -> None:
        with self._lock:
            self._leases[request_id] = time.monotonic() + seconds

    def send_request(self, connection_id: str, request_id: str, data: bytes, lease: float) -> None:
        self.hold_lease(request_id, lease)
        self.push(request_box(connection_id), data)

    def end_lease(self, request_id: str) -> None:
        with self._lock:
            self._leases.pop(request_id, None)

    def lease_held(self, request_id: str) -> bool:
        with self._lock:
            until = self._leases.get(request_id)
            if until is not None and until <= time.monotonic():
                del self._leases[request_id]  # its caller died without ending it
                until = None
            return until is not None


# Reserve a slot only while the worker is READY and under its capacity, atomically, so two
# executors never both take a worker's last slot.
_RESERVE = """
local status = redis.call('HGET', KEYS[1], 'status')
if status ~= 'READY' then return 0 end
local cap = tonumber(redis.call('HGET', KEYS[1], 'capacity'))
local n = tonumber(redis.call('HGET', KEYS[1], 'inflight') or '0')
if cap and cap >= 0 and n >= cap then return 0 end
redis.call('HINCRBY', KEYS[1], 'inflight', 1)
return 1
"""

# A status is set only on an entry that still exists: between a separate EXISTS and HSET a
# drop (the socket ending) could slip in, and the HSET would leave a hash of one field with no
# expiry behind.
_SET_STATUS = """
if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('HSET', KEYS[1], 'status', ARGV[1]) end
return 0
"""


class RedisBus:
    """Staging: a worker's entry is a hash that lapses unless heartbeats renew it."""

    def __init__(self, url: str) -> None:
        self._redis: Any = redis.Redis.from_url(url)
        self._reserve = self._redis.register_script(_RESERVE)
        self._set_status = self._redis.register_script(_SET_STATUS)

    @staticmethod
    def _key(connection_id: str) -> str:
        return f"connect:worker:{connection_id}"

    @staticmethod
    def _gateway_key(gateway_id: str) -> str:
        return f"connect:gateway:{gateway_id}"

    def renew_gateway(self, gateway_id: str) -> None:
        self._redis.set(self._gateway_key(gateway_id), 1, ex=GATEWAY_TTL)

    def hold_lease(self, request_id: str, seconds: float) -> None:
        self._redis.set(lease_key(request_id), 1, ex=max(1, math.ceil(seconds)))

    def send_request(self, connection_id: str, request_id: str, data: bytes, lease: float) -> None:
        pipe = self._redis.pipeline()  # one round trip
        pipe.set(lease_key(request_id), 1, ex=max(1, math.ceil(lease)))
        pipe.rpush(request_box(connection_id), data)
        pipe.expire(request_box(connection_id), _MAILBOX_TTL)
        pipe.execute()

    def end_lease(self, request_id: str) -> None:
        self._redis.delete(lease_key(request_id))

    def lease_held(self, request_id: str) -> bool:
        return bool(self._redis.exists(lease_key(request_id)))

    def register(self, worker: Worker) -> None:
        fields = dataclasses.asdict(worker)
        fields["app_names"] = json.dumps(worker.app_names)
        fields["capacity"] = -1 if worker.capacity is None else worker.capacity
        fields["last_heartbeat"] = time.time()
        pipe = self._redis.pipeline()
        pipe.hset(self._key(worker.connection_id), mapping=fields)
        pipe.expire(self._key(worker.connection_id), int(worker_gone_after()))
        for app in worker.app_names:
            pipe.sadd(f"connect:app:{app}", worker.connection_id)
        pipe.execute()

    def heartbeat(self, connection_id: str) -> None:
        key = self._key(connection_id)
        if self._redis.hset(key, "last_heartbeat", time.time()) == 0:  # field existed
            self._redis.expire(key, int(worker_gone_after()))
        else:  # the entry had lapsed: a half-written hash is no worker
            self._redis.delete(key)

    def set_status(self, connection_id: str, status: str) -> None:
        self._set_status(keys=[self._key(connection_id)], args=[status])

    def drop(self, connection_id: str) -> None:
        self._redis.delete(self._key(connection_id), request_box(connection_id))

    def worker(self, connection_id: str) -> Worker | None:
        raw = self._redis.hgetall(self._key(connection_id))
        if not raw or b"app_names" not in raw:
            return None
        f = {k.decode(): v.decode() for k, v in raw.items()}
        if not self._redis.exists(self._gateway_key(f.get("gateway_id", ""))):
            return None  # its web process is gone: the socket with it
        capacity = int(f["capacity"])
        return Worker(
            connection_id=connection_id,
            app_names=json.loads(f["app_names"]),
            instance_id=f["instance_id"],
            sdk=f["sdk"],
            capacity=None if capacity < 0 else capacity,
            connected_at=float(f["connected_at"]),
            status=f["status"],
            inflight=int(f.get("inflight", "0")),
            last_heartbeat=float(f["last_heartbeat"]),
            gateway_id=f["gateway_id"],
        )

    def workers(self, app_name: str) -> list[Worker]:
        found = []
        for raw_id in self._redis.smembers(f"connect:app:{app_name}"):
            cid = raw_id.decode()
            if (w := self.worker(cid)) is None:
                # Lapsed or dropped: out of the app's set. An entry whose gateway key lapsed
                # stays (a stalled loop renews it again; a dead one lets the entry lapse).
                if not self._redis.exists(self._key(cid)):
                    self._redis.srem(f"connect:app:{app_name}", cid)
            else:
                found.append(w)
        return found

    def reserve(self, connection_id: str) -> bool:
        return bool(self._reserve(keys=[self._key(connection_id)]))

    def release(self, connection_id: str) -> None:
        key = self._key(connection_id)
        if self._redis.hincrby(key, "inflight", -1) < 0:
            self._redis.hset(key, "inflight", 0)
        if not self._redis.hexists(key, "app_names"):
            self._redis.delete(key)  # HINCRBY recreated a dropped entry

    def push(self, key: str, data: bytes) -> None:
        pipe = self._redis.pipeline()
        pipe.rpush(key, data)
        pipe.expire(key, _MAILBOX_TTL)
        pipe.execute()

    def pop(self, key: str, timeout: float) -> bytes | None:
        # BLPOP's timeout is whole seconds on old servers; at least 1 s is always allowed.
        found = self._redis.blpop([key], timeout=max(1, round(timeout)))
        return None if found is None else found[1]


_bus: Bus | None = None
_bus_lock = threading.Lock()


def get_bus() -> Bus:
    global _bus
    with _bus_lock:
        if _bus is None:
            _bus = RedisBus(settings.REDIS_URL) if settings.REDIS_URL else MemoryBus()
        return _bus


def connected_workers(app_name: str) -> list[dict[str, Any]]:
    """The app's workers holding a socket now, for the Apps page and API: instance, SDK,
    capacity (None: unbounded), requests in flight, status, last heartbeat (epoch seconds)."""
    return [
        {
            "connection_id": w.connection_id,
            "instance_id": w.instance_id,
            "sdk": w.sdk,
            "capacity": w.capacity,
            "inflight": w.inflight,
            "status": w.status,
            "last_heartbeat": w.last_heartbeat,
            "connected_at": w.connected_at,
        }
        for w in sorted(get_bus().workers(app_name), key=lambda w: w.connected_at)
    ]
