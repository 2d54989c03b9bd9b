"""A function's chart figures and the difference between two runs, as JSON (the function page's
charts and the run diff page read the same modules)."""

from django.shortcuts import get_object_or_404
from ninja import Router, Schema, Status

from runs.function_stats import DEFAULT_WINDOW, UnknownWindow, function_stats
from runs.models import Function, Run
from runs.run_diff import DifferentFunctions, diff_runs

from .schemas import ErrorOut

router = Router(tags=["insights"])


class BucketOut(Schema):
    start: str
    started: int
    failed: int
    p50_ms: float | None
    p95_ms: float | None


class StatsOut(Schema):
    function: str
    window: str
    start: str
    bucket_seconds: int
    total: BucketOut
    buckets: list[BucketOut]


@router.get("/functions/{slug}/stats", response={200: StatsOut, 400: ErrorOut})
def stats(request, slug: str, window: str = DEFAULT_WINDOW):
    """Runs queued, failed and the p50/p95 run duration (ms) per interval over the last hour
    (`1h`, per minute) or day (`1d`, per half hour), with the window's total."""
    function = get_object_or_404(Function, slug=slug)
    try:
        return Status(200, function_stats(function, window).as_json())
    except UnknownWindow as exc:
        return Status(400, {"error": str(exc)})


@router.get("/runs/{run_a}/diff/{run_b}", response={200: dict, 400: ErrorOut})
def run_diff(request, run_a: str, run_b: str):
    """Two runs of one function step by step: each step paired by its id, and for each the
    fields (input, output, error, attempts, duration, status) that differ, with JSON changes
    by path."""
    a = get_object_or_404(Run.objects.select_related("function", "event"), pk=run_a)
    b = get_object_or_404(Run.objects.select_related("function", "event"), pk=run_b)
    try:
        return Status(200, diff_runs(a, b).as_json())
    except DifferentFunctions as exc:
        return Status(400, {"error": str(exc)})
