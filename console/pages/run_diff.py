"""The run diff page: two runs of one function side by side, step by step (runs/run_diff.py),
each differing JSON field drawn as two aligned columns with the changed lines marked; and the
redirect behind "compare with the last successful run" on a failed run's page."""

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from foundation.json_diff import side_by_side
from runs.models import Run
from runs.run_diff import JSON_FIELDS, DifferentFunctions, Pair, diff_runs, last_completed_before

LABELS = {"input": "input", "output": "output", "error": "error"}
RUN_LABELS = {"input": "event data", "output": "output", "error": "error"}


def run_diff(request: HttpRequest, run_a: str, run_b: str) -> HttpResponse:
    runs = Run.objects.select_related("function", "event")
    a = get_object_or_404(runs, pk=run_a)
    b = get_object_or_404(runs, pk=run_b)
    try:
        diff = diff_runs(a, b)
    except DifferentFunctions as exc:
        return render(
            request, "runs/run_diff.html", {"a": a, "b": b, "error": str(exc)}, status=400
        )
    context = {
        "a": a,
        "b": b,
        "diff": diff,
        "run_rows": _rows(diff.run, RUN_LABELS),
        "run_differs": [RUN_LABELS.get(f, f.removesuffix("_ms")) for f in diff.run.differs],
        "steps": [{"pair": p, "rows": _rows(p, LABELS)} for p in diff.steps],
    }
    return render(request, "runs/run_diff.html", context)


def compare_with_last_success(request: HttpRequest, run_id: str) -> HttpResponse:
    """Looked up on click rather than on every render of the run page."""
    run = get_object_or_404(Run.objects.select_related("function"), pk=run_id)
    baseline = last_completed_before(run)
    if baseline is None:
        messages.error(request, f"{run.function.slug} has no completed run to compare with yet")
        return redirect("run-detail", run_id=run.id)
    return redirect("run-diff", run_a=baseline.id, run_b=run.id)


def _rows(pair: Pair, labels: dict[str, str]) -> list[dict[str, Any]]:
    """One row per field either side has: JSON fields as aligned lines, the rest as text."""
    rows: list[dict[str, Any]] = []
    for name in JSON_FIELDS:
        old = pair.a.get(name) if pair.a else None
        new = pair.b.get(name) if pair.b else None
        if old is None and new is None:
            continue
        left, right = side_by_side(old, new)
        rows.append(
            {
                "field": labels[name],
                "json": True,
                "differs": name in pair.differs,
                "left": left,
                "right": right,
                "paths": [c.path for c in pair.json_changes.get(name, [])],
            }
        )
    for name, label in (("status", "status"), ("attempts", "attempts")):
        rows.append(_plain(pair, name, label, lambda v: str(v)))
    rows.append(_plain(pair, "duration_ms", "duration", _duration))
    return rows


def _plain(pair: Pair, name: str, label: str, show: Any) -> dict[str, Any]:
    def text(side: Any) -> str:
        return "—" if side is None else show(side.get(name))

    return {"field": label, "differs": name in pair.differs, "a": text(pair.a), "b": text(pair.b)}


def _duration(ms: float | None) -> str:
    if ms is None:
        return "not ended"
    return f"{ms / 1000:.2f} s" if ms >= 1000 else f"{ms:.0f} ms"
