"""The lease heartbeat: a thread that keeps this process's leases alive while its SDK calls
are in flight (started once per process, by the embedded worker or a standalone one)."""

import logging
import threading
import time

from django.conf import settings
from django.db import close_old_connections

from . import queue

logger = logging.getLogger(__name__)

_heartbeat: threading.Thread | None = None


def start_lease_heartbeat() -> threading.Thread:
    """Start the heartbeat thread unless this process has one already."""
    global _heartbeat
    if _heartbeat is not None:
        return _heartbeat

    def beat() -> None:
        interval = settings.LEASE_SECONDS / 3
        while True:
            time.sleep(interval)
            try:
                # This thread never sees a request or task end, where Django drops a broken
                # connection: do it here, or a database restart stops the heartbeat for good.
                close_old_connections()
                queue.renew_leases()
            except Exception:
                logger.exception("lease heartbeat failed")

    _heartbeat = threading.Thread(target=beat, name="lease-heartbeat", daemon=True)
    _heartbeat.start()
    return _heartbeat
