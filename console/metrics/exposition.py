"""/metrics text: the folded tallies and the scrape-time gauges as prometheus-client metric
families, rendered at most once per CACHE_SECONDS per process (scrapers, several Prometheus
servers, a dashboard left open, cost the database one fold and a few counts)."""

import json
import threading
import time
from collections.abc import Iterator

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.metrics_core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector

from runs.models import Function

from . import families as F
from . import gauges
from .fold import fold
from .models import Tally

CACHE_SECONDS = 5.0
_lock = threading.Lock()
_cached: tuple[float, bytes] = (0.0, b"")


def render() -> bytes:
    """The exposition text, folded and counted at most once per CACHE_SECONDS."""
    global _cached
    with _lock:
        at, text = _cached
        if time.monotonic() - at < CACHE_SECONDS and text:
            return text
        fold()
        registry = CollectorRegistry(auto_describe=False)
        registry.register(_RowCollector())
        text = generate_latest(registry)
        _cached = (time.monotonic(), text)
        return text


def forget() -> None:
    """Drop the cached text (tests read fresh numbers)."""
    global _cached
    with _lock:
        _cached = (0.0, b"")


class _RowCollector(Collector):
    def collect(self) -> Iterator[Metric]:
        yield from _tallies()
        yield from _gauges()


def _tallies() -> Iterator[Metric]:
    by_name: dict[str, list[Tally]] = {}
    for tally in Tally.objects.order_by("name", "labels"):
        by_name.setdefault(tally.name, []).append(tally)
    for family in F.FOLDED:
        series = by_name.get(family.name, [])
        labelnames = sorted({k for t in series for k in json.loads(t.labels)})
        if family.is_histogram:
            metric: Metric = HistogramMetricFamily(family.name, family.help, labels=labelnames)
        else:
            metric = CounterMetricFamily(family.name, family.help, labels=labelnames)
        for tally in series:
            labels = json.loads(tally.labels)
            values = [labels.get(k, "") for k in labelnames]
            if family.is_histogram:
                metric.add_metric(values, _cumulative(family, tally.buckets), tally.value)  # type: ignore[attr-defined]
            else:
                metric.add_metric(values, tally.value)  # type: ignore[attr-defined]
        yield metric


def _cumulative(family: F.Family, buckets: list[int]) -> list[tuple[str, float]]:
    running, out = 0, []
    for bound, count in zip([*map(str, family.bounds), "+Inf"], buckets, strict=True):
        running += count
        out.append((bound, float(running)))
    return out


def _gauges() -> Iterator[Metric]:
    yield GaugeMetricFamily(
        "inngest_queue_depth", "Queue items, due or not, leased or not", value=gauges.queue_depth()
    )
    count, age = gauges.backlog()
    yield GaugeMetricFamily(
        "devserver_queue_backlog", "Queue items due and not held by a worker", value=count
    )
    yield GaugeMetricFamily(
        "devserver_queue_oldest_due_age_seconds",
        "How long the oldest due item not held by a worker has been due",
        value=age,
    )
    rows = gauges.active_runs()
    labels = _function_labels({fid for fid, _, _ in rows})
    runs = GaugeMetricFamily(
        "devserver_function_runs_active",
        "Runs not ended, by status (Queued, Running, Sleeping, Waiting)",
        labels=["app", "fn", "status"],
    )
    for fid, status, n in rows:
        runs.add_metric([*labels.get(fid, ("", str(fid))), status], n)
    yield runs
    slots = GaugeMetricFamily(
        "inngest_concurrency_in_progress",
        "Steps in flight holding a slot of a concurrency key",
        labels=["scope", "key"],
    )
    for key, n in sorted(gauges.slots_in_use().items()):
        slots.add_metric([key.split(":", 1)[0], key], n)
    yield slots


def _function_labels(ids: set[int]) -> dict[int, tuple[str, str]]:
    rows = Function.objects.filter(pk__in=ids).values_list("id", "app__name", "app__url", "slug")
    return {fid: (name or url, slug) for fid, name, url, slug in rows}
