"""The function page's charts: its runs started, failures and p50/p95 run duration over the
last hour or day (`?window=`), built from runs/function_stats.py."""

from typing import Any

from runs.function_stats import DEFAULT_WINDOW, WINDOWS, function_stats
from runs.models import Function

from .charts import bar_chart, line_chart


def charts_context(function: Function, window: str | None) -> dict[str, Any]:
    """An unknown `?window=` falls back to the default rather than failing the whole page."""
    chosen = window if window in WINDOWS else DEFAULT_WINDOW
    stats = function_stats(function, chosen)
    starts = [b.start for b in stats.buckets]
    total = stats.total
    charts = [
        bar_chart(
            "started", "Runs started", starts, [b.started for b in stats.buckets],
            f"{total.started} runs", "runs",
        ),
        bar_chart(
            "failed", "Failures", starts, [b.failed for b in stats.buckets],
            f"{total.failed} failed", "failed",
        ),
        line_chart(
            "duration", "Run duration", starts,
            {"p50": [b.p50_ms for b in stats.buckets], "p95": [b.p95_ms for b in stats.buckets]},
            _duration_total(total.p50_ms, total.p95_ms),
        ),
    ]  # fmt: skip
    return {
        "charts": charts,
        "chart_window": chosen,
        "chart_windows": list(WINDOWS),
        "chart_bucket_minutes": stats.bucket_seconds // 60,
    }


def _duration_total(p50: float | None, p95: float | None) -> str:
    if p50 is None or p95 is None:
        return "no run ended"
    return f"p50 {_ms(p50)} · p95 {_ms(p95)}"


def _ms(value: float) -> str:
    return f"{value / 1000:.2f} s" if value >= 1000 else f"{value:.0f} ms"
