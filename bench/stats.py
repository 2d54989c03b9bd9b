"""Summaries of timing samples, in milliseconds."""

import statistics


def summary(samples_ms: list[float]) -> dict[str, float]:
    """n, mean, min, p50, p95, p99, max of `samples_ms` (percentiles interpolated)."""
    if not samples_ms:
        raise ValueError("no samples to summarize")
    if len(samples_ms) == 1:
        only = samples_ms[0]
        return {
            "n": 1, "mean": only, "min": only, "p50": only, "p95": only, "p99": only, "max": only
        }  # fmt: skip
    cuts = statistics.quantiles(samples_ms, n=100, method="inclusive")
    return {
        "n": len(samples_ms),
        "mean": statistics.fmean(samples_ms),
        "min": min(samples_ms),
        "p50": cuts[49],
        "p95": cuts[94],
        "p99": cuts[98],
        "max": max(samples_ms),
    }
