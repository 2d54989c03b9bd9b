"""One function's runs over the last hour or day, in buckets: runs queued, runs failed and the
p50/p95 run duration. Read from its own run rows through the (function, -id) index: run ids
are ULIDs, so `id >= id_floor(window start)` is the window and older rows are never touched."""

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import connection, transaction

from foundation import clock

from .models import Function, Run
from .statuses import RunStatus

# Each window: its length and how many buckets it is drawn in (a minute, half an hour).
WINDOWS: dict[str, tuple[timedelta, int]] = {
    "1h": (timedelta(hours=1), 60),
    "1d": (timedelta(days=1), 48),
}
DEFAULT_WINDOW = "1h"
SORT_MEMORY = "32MB"
# A duration is counted for runs that ran to an end of their own; a cancelled run's length
# says when somebody cancelled it, not how long the function takes.
_TIMED = (RunStatus.COMPLETED.value, RunStatus.FAILED.value)


class UnknownWindow(ValueError):
    def __init__(self, window: str) -> None:
        super().__init__(f"window must be one of {', '.join(WINDOWS)}, got {window!r}")


@dataclass(frozen=True)
class Bucket:
    start: datetime
    started: int = 0
    failed: int = 0
    p50_ms: float | None = None
    p95_ms: float | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "start": self.start.isoformat(),
            "started": self.started,
            "failed": self.failed,
            "p50_ms": self.p50_ms,
            "p95_ms": self.p95_ms,
        }


@dataclass(frozen=True)
class FunctionStats:
    slug: str
    window: str
    start: datetime
    bucket_seconds: int
    buckets: list[Bucket]
    total: Bucket  # the whole window; its `start` is the window's

    def as_json(self) -> dict[str, Any]:
        return {
            "function": self.slug,
            "window": self.window,
            "start": self.start.isoformat(),
            "bucket_seconds": self.bucket_seconds,
            "total": self.total.as_json(),
            "buckets": [b.as_json() for b in self.buckets],
        }


def function_stats(
    function: Function, window: str = DEFAULT_WINDOW, now: datetime | None = None
) -> FunctionStats:
    if window not in WINDOWS:
        raise UnknownWindow(window)
    length, count = WINDOWS[window]
    width = int(length.total_seconds()) // count
    moment = now or clock.now()
    # Buckets are aligned to their width, so a reload a second later draws the same bars; the
    # last one holds now.
    epoch = math.floor(moment.timestamp() / width) * width
    start = datetime.fromtimestamp(epoch - (count - 1) * width, UTC)
    if connection.vendor == "postgresql":
        rows = _postgres_buckets(function.pk, start, width)
    else:
        rows = aggregate(_run_rows(function.pk, start), start, width)
    buckets = [  # an empty interval is a bucket of zeros, drawn as such
        Bucket(start + timedelta(seconds=i * width), *_fields(rows.get(i, Bucket(start))))
        for i in range(count)
    ]
    total = rows.get(None, Bucket(start))
    return FunctionStats(
        function.slug, window, start, width, buckets, Bucket(start, *_fields(total))
    )


def _fields(bucket: Bucket) -> tuple[int, int, float | None, float | None]:
    return bucket.started, bucket.failed, bucket.p50_ms, bucket.p95_ms


def _run_rows(function_id: int, start: datetime) -> Iterable[tuple[Any, ...]]:
    return (
        Run.objects.filter(function_id=function_id, id__gte=clock.id_floor(start))
        .values_list("queued_at", "status", "started_at", "ended_at")
        .iterator(chunk_size=5000)
    )


def aggregate(
    rows: Iterable[tuple[datetime, str, datetime | None, datetime | None]],
    start: datetime,
    width: int,
) -> dict[int | None, Bucket]:
    """Bucket index (None: the whole window) to its figures; rows queued before `start` (an id
    made a moment before its queued_at was read) are left out, as the SQL does."""
    started: dict[int | None, int] = {}
    failed: dict[int | None, int] = {}
    durations: dict[int | None, list[float]] = {}
    for queued_at, status, began, ended in rows:
        index = math.floor((queued_at - start).total_seconds() / width)
        if index < 0:
            continue
        for key in (index, None):
            started[key] = started.get(key, 0) + 1
            failed[key] = failed.get(key, 0) + (status == RunStatus.FAILED)
            if status in _TIMED and began is not None and ended is not None:
                durations.setdefault(key, []).append((ended - began).total_seconds() * 1000)
    return {
        key: Bucket(
            start,
            started[key],
            failed[key],
            percentile(durations.get(key, []), 0.5),
            percentile(durations.get(key, []), 0.95),
        )
        for key in started
    }


def percentile(values: list[float], fraction: float) -> float | None:
    """Linear interpolation between the closest ranks: Postgres's percentile_cont."""
    if not values:
        return None
    ordered = sorted(values)
    rank = fraction * (len(ordered) - 1)
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return round(ordered[low] + (ordered[high] - ordered[low]) * (rank - low), 3)


def _postgres_buckets(function_id: int, start: datetime, width: int) -> dict[int | None, Bucket]:
    """The same figures computed by Postgres, so 100k runs do not travel to Python: one pass
    over the window's index range, GROUPING SETS giving the buckets and the total at once."""
    duration = "EXTRACT(EPOCH FROM (ended_at - started_at)) * 1000"
    timed = f"status IN ('{_TIMED[0]}', '{_TIMED[1]}') AND ended_at IS NOT NULL"
    sql = f"""
        SELECT b, COUNT(*), COUNT(*) FILTER (WHERE status = %s),
            PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY {duration}) FILTER (WHERE {timed}),
            PERCENTILE_CONT(0.95) WITHIN GROUP (ORDER BY {duration}) FILTER (WHERE {timed})
        FROM (
            SELECT status, started_at, ended_at,
                FLOOR(EXTRACT(EPOCH FROM (queued_at - %s)) / %s)::int AS b
            FROM {Run._meta.db_table} WHERE function_id = %s AND id >= %s
        ) AS windowed
        WHERE b >= 0
        GROUP BY GROUPING SETS ((b), ())
    """  # noqa: S608 (the interpolated parts are constants of this module)
    params: list[Any] = [RunStatus.FAILED.value, start, width, function_id, clock.id_floor(start)]
    # A day of a busy function is ~100k rows sorted for the percentiles: with Postgres's
    # default 4 MB the sort spills to disk; this read-only query may use more, for itself only.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT set_config('work_mem', %s, true)", [SORT_MEMORY])  # SET LOCAL
        cursor.execute(sql, params)
        result = cursor.fetchall()
    return {
        (None if b is None else int(b)): Bucket(start, n, failed, _ms(p50), _ms(p95))
        for b, n, failed, p50, p95 in result
    }


def _ms(value: Any) -> float | None:
    return None if value is None else round(float(value), 3)
