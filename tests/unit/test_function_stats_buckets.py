"""runs/function_stats.py's bucketing without a database (the SQLite path; Postgres computes
the same in SQL, tests/integration/test_function_stats.py): counts per interval and the
p50/p95 as Postgres's percentile_cont interpolates them."""

from datetime import UTC, datetime, timedelta

from runs.function_stats import aggregate, percentile

START = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def _row(minute: float, status: str, seconds: float | None):
    queued = START + timedelta(minutes=minute)
    ended = None if seconds is None else queued + timedelta(seconds=seconds)
    return (queued, status, queued, ended)


def test_percentile_interpolates_between_ranks_like_percentile_cont():
    assert percentile([], 0.5) is None
    assert percentile([5.0], 0.95) == 5.0
    assert percentile([1.0, 2.0, 3.0, 4.0], 0.5) == 2.5
    assert percentile([float(v) for v in range(1, 101)], 0.95) == 95.05


def test_runs_fall_in_their_interval_and_the_total_covers_the_window():
    rows = [
        _row(0.5, "Completed", 1.0),
        _row(0.9, "Failed", 3.0),
        _row(2.0, "Running", None),
        _row(2.5, "Cancelled", 60.0),  # counted, but its length is no run duration
        _row(-0.1, "Completed", 1.0),  # queued before the window: left out
    ]
    buckets = aggregate(rows, START, 60)
    assert sorted(buckets, key=str) == [0, 2, None]
    assert (buckets[0].started, buckets[0].failed) == (2, 1)
    assert (buckets[0].p50_ms, buckets[0].p95_ms) == (2000.0, 2900.0)
    assert (buckets[2].started, buckets[2].failed, buckets[2].p50_ms) == (2, 0, None)
    assert (buckets[None].started, buckets[None].failed) == (4, 1)
