"""A function's chart figures (runs/function_stats.py) from its run rows: the API, the command
and the page's SVG agree; only the window's runs of that function count (ids are ULIDs, the
window starts at its first id). Runs on SQLite here and on Postgres (its SQL path) in staging."""

import json
from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from ulid import ULID

from foundation import clock
from runs.models import App, Function, Run

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _open_console(settings: Any) -> None:
    settings.REQUIRE_LOGIN = False


def _function(slug: str) -> Function:
    app, _ = App.objects.get_or_create(name="charts", url="http://127.0.0.1:1/api/inngest")
    return Function.objects.create(app=app, slug=slug, name=slug, step_url=app.url)


def _run(function: Function, ago: timedelta, status: str, seconds: float | None) -> None:
    queued = clock.now() - ago
    ended = None if seconds is None else queued + timedelta(seconds=seconds)
    Run.objects.create(
        id=str(ULID.from_timestamp(queued.timestamp())),
        function=function,
        status=status,
        queued_at=queued,
        started_at=queued,
        ended_at=ended,
    )


@pytest.fixture
def charted() -> Function:
    fn = _function("charts-fn")
    for seconds in (0.1, 0.2, 0.3, 0.4):
        _run(fn, timedelta(minutes=5), "Completed", seconds)
    _run(fn, timedelta(minutes=5), "Failed", 2.0)
    _run(fn, timedelta(minutes=30), "Running", None)
    _run(fn, timedelta(hours=3), "Completed", 1.0)  # in the day, not the hour
    _run(fn, timedelta(days=2), "Failed", 1.0)  # in neither window
    _run(_function("charts-other"), timedelta(minutes=5), "Failed", 9.0)  # another function
    return fn


def test_the_hour_and_the_day_count_only_their_runs_of_that_function(charted: Function):
    client = Client()
    hour = client.get("/api/functions/charts-fn/stats?window=1h").json()
    assert (hour["bucket_seconds"], len(hour["buckets"])) == (60, 60)
    assert hour["total"] == {
        "start": hour["start"], "started": 6, "failed": 1, "p50_ms": 300.0, "p95_ms": 1680.0,
    }  # fmt: skip
    assert sum(b["started"] for b in hour["buckets"]) == 6
    assert max(b["started"] for b in hour["buckets"]) == 5  # the five of five minutes ago
    day = client.get("/api/functions/charts-fn/stats?window=1d").json()
    assert (day["bucket_seconds"], len(day["buckets"])) == (1800, 48)
    assert (day["total"]["started"], day["total"]["failed"]) == (7, 1)


def test_an_unknown_window_is_a_400_that_names_the_choices(charted: Function):
    response = Client().get("/api/functions/charts-fn/stats?window=1w")
    assert response.status_code == 400
    assert "1h, 1d" in response.json()["error"]
    assert Client().get("/api/functions/nope/stats").status_code == 404


def test_the_command_prints_the_same_figures(charted: Function):
    out = StringIO()
    call_command("functions", "stats", "charts-fn", "--window", "1d", stdout=out)
    printed = json.loads(out.getvalue())
    assert (printed["window"], printed["total"]["started"]) == ("1d", 7)


def test_the_page_draws_a_bar_per_busy_interval_and_switches_windows(charted: Function):
    page = Client().get("/functions/charts-fn/?window=1d").content.decode()
    assert 'data-window="1d"' in page and 'aria-current="true">last day' in page
    started = page.split('id="chart-started"')[1].split("</figure>")[0]
    day = Client().get("/api/functions/charts-fn/stats?window=1d").json()
    busy = [b for b in day["buckets"] if b["started"]]  # 3 hours ago, and 30 and 5 min ago
    assert started.count('<rect class="bar"') == len(busy) >= 2
    assert "7 runs" in started
    duration = page.split('id="chart-duration"')[1].split("</figure>")[0]
    assert '<polyline class="p95"' in duration
    assert "p50 350 ms" in duration  # the day has the 1 s run too
    fallback = Client().get("/functions/charts-fn/?window=bogus").content.decode()
    assert 'data-window="1h"' in fallback
