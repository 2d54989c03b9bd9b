"""The one seam for time and identifiers, so tests can reason about both."""

import random
from datetime import UTC, datetime

from ulid import ULID


def now() -> datetime:
    return datetime.now(UTC)


def now_ms() -> int:
    return int(now().timestamp() * 1000)


def new_id() -> str:
    """A ULID: sortable by creation time, like the ids the Inngest server hands out."""
    return str(ULID())


def jitter_fraction() -> float:
    """A uniform random number in [0, 1) for retry jitter."""
    return random.random()


def id_floor(moment: datetime) -> str:
    """The smallest ULID of `moment`: ids >= it were created at or after that time."""
    return str(ULID.from_timestamp(moment.timestamp()))[:10] + "0" * 16
