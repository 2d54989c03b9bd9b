"""This process's part as a gateway, shared by all the sockets it holds: the thread pool its
blocking bus calls run on, its gateway key (renewed every second: the workers it holds count
only while it lives, bus.py), the connections it holds, and the writes of their history
(history.py), including the sweep of rows a dead gateway left open."""

import asyncio
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from asgiref.sync import sync_to_async
from django.db import InterfaceError, OperationalError, close_old_connections, connection

from .bus import GATEWAY_ID, GATEWAY_RENEW_SECONDS, get_bus, reply_box
from .history import LOST_SWEEP_SECONDS, close_lost_sessions

logger = logging.getLogger(__name__)
# Blocking bus calls (Redis round trips, a 1 s wait for the next request) run here, off the
# event loop; one thread per connected worker waits for its requests.
_pool = ThreadPoolExecutor(max_workers=256, thread_name_prefix="connect-gateway")
_renewal: asyncio.Task | None = None
# The connections whose sockets this process holds: their history rows are never swept as
# lost here, even while their registry entries lapse (heartbeats missed: the watchdog is
# about to close them and record why).
_held: set[str] = set()


async def off_loop(fn: Any, *args: Any) -> Any:
    """`fn(*args)` on the gateway's threads: a blocking bus call never stalls the loop."""
    return await asyncio.get_running_loop().run_in_executor(_pool, fn, *args)


async def tell_caller(request_id: str, message: bytes) -> None:
    """Post to the mailbox the request's caller (dispatch.py) waits on, in whichever process."""
    await off_loop(get_bus().push, reply_box(request_id), message)


async def in_database(fn: Any, *args: Any) -> Any:
    """`fn(*args)` on a thread with a usable database connection. Outside Django's request
    cycle nothing drops a connection the database broke: after a Postgres restart every
    later call on that thread failed (a worker's sync, its history rows) until the process
    restarted. A call that meets a dead connection runs once more on a new one; each `fn`
    here is safe to repeat (its transaction rolled back)."""
    return await sync_to_async(_with_usable_connection, thread_sensitive=False)(fn, *args)


def _with_usable_connection(fn: Any, *args: Any) -> Any:
    close_old_connections()  # one marked unusable by an earlier error, or past its age
    try:
        return fn(*args)
    except (OperationalError, InterfaceError):
        connection.close()
        return fn(*args)


async def write_history(fn: Any, *args: Any) -> None:
    """A history row is a record, not a condition of the socket: a failed write is logged."""
    try:
        await in_database(fn, *args)
    except Exception:
        logger.warning("connect: could not record the worker's history", exc_info=True)


def hold(connection_id: str) -> frozenset[str]:
    """This process holds the connection's socket now; returns every connection it holds."""
    _held.add(connection_id)
    return frozenset(_held)


def release(connection_id: str) -> None:
    _held.discard(connection_id)


async def keep_gateway_alive() -> None:
    """Renew this process's gateway key now, and every second from then on (one task per
    process, started by the first socket)."""
    global _renewal
    await off_loop(get_bus().renew_gateway, GATEWAY_ID)
    if _renewal is None or _renewal.done():
        _renewal = asyncio.create_task(_renew_forever())


async def _renew_forever() -> None:
    """Renew the gateway's key; now and then close the history rows a dead one left open."""
    swept = time.monotonic()
    while True:
        await asyncio.sleep(GATEWAY_RENEW_SECONDS)
        try:
            await off_loop(get_bus().renew_gateway, GATEWAY_ID)
        except Exception:  # Redis away for a moment: the next renewal may succeed
            logger.warning("connect: could not renew the gateway's key", exc_info=True)
        if time.monotonic() - swept >= LOST_SWEEP_SECONDS:
            swept = time.monotonic()
            await write_history(close_lost_sessions, None, frozenset(_held))
