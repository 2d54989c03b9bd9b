"""The one seam for time and identifiers, so tests can reason about both.

Fault tests can jump the clock: with DEVSERVER_CLOCK_OFFSET_FILE set, `now()` adds the seconds
written in that file (re-read at most every OFFSET_REFRESH seconds) to the wall clock, in every
process that shares the file. Timers, leases and due times all follow `now()`, so the
guarantees under a jump are these:
- forward: everything due by the new clock happens at once; every lease lapses early, so a
  step in flight may be called again (at least once, as after a killed worker), but a step
  already stored is never run again (a stale worker's result is refused by its lost lease);
- backward by X: nothing happens early; what was due is delayed by X (plus at most the
  reconciler's re-dispatch interval), and nothing is stuck for longer.
Request signatures keep the operating system's clock (the SDK checks them against its own).
"""

import contextlib
import random
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from django.conf import settings
from ulid import ULID

OFFSET_REFRESH = 0.1


@dataclass
class _Offset:
    path: str | None = None  # None: settings not read yet
    read_at: float = float("-inf")
    seconds: float = 0.0


_offset = _Offset()


def now() -> datetime:
    return datetime.now(UTC) + timedelta(seconds=_offset_seconds())


def now_ms() -> int:
    return int(now().timestamp() * 1000)


def _offset_seconds() -> float:
    """The test clock offset; 0 unless DEVSERVER_CLOCK_OFFSET_FILE is set."""
    if _offset.path is None:  # read on first use: settings are not configured at import
        _offset.path = settings.CLOCK_OFFSET_FILE
    if not _offset.path:
        return 0.0
    moment = time.monotonic()
    if moment - _offset.read_at >= OFFSET_REFRESH:
        _offset.read_at = moment
        with contextlib.suppress(OSError, ValueError):  # missing or half-written: keep it
            _offset.seconds = float(Path(_offset.path).read_text().strip() or 0)
    return _offset.seconds


def new_id() -> str:
    """A ULID: sortable by creation time, like the ids the Inngest server hands out."""
    return str(ULID())


def jitter_fraction() -> float:
    """A uniform random number in [0, 1) for retry jitter."""
    return random.random()


def id_floor(moment: datetime) -> str:
    """The smallest ULID of `moment`: ids >= it were created at or after that time."""
    return str(ULID.from_timestamp(moment.timestamp()))[:10] + "0" * 16
