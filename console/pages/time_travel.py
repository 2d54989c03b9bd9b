"""The console's time-travel buttons (dev mode): "wake now" on a sleeping step, "time out
now" on a waiting one, "send the awaited event" (a form prefilled from the wait), and
"release now" on a run queued by a throttle and on the inspector's debounce and batch holds.
Each its operator action, then back where the button was."""

import json
from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from console import actions
from events.ingest import EventValidationError
from foundation import strict_json
from runs.models import Function, Run
from runs.timetravel import NothingToMove, TimeTravelOff
from runs.timetravel_release import BadHoldKind
from runs.timetravel_send import NotAwaited, awaited_event_of


@require_POST
def wake(request: HttpRequest, run_id: str) -> HttpResponse:
    return _move(request, run_id, timeout=False)


@require_POST
def timeout(request: HttpRequest, run_id: str) -> HttpResponse:
    return _move(request, run_id, timeout=True)


def _move(request: HttpRequest, run_id: str, timeout: bool) -> HttpResponse:
    get_object_or_404(Run, pk=run_id)
    act = actions.time_out_run_now if timeout else actions.wake_run_now
    try:
        steps = act(request, run_id)
        done = "timed out" if timeout else "woke"
        messages.success(request, f"{', '.join(steps)} {done} now.")
    except (TimeTravelOff, NothingToMove) as exc:
        messages.error(request, str(exc))
    return _back_to_step(run_id, request.POST.get("step", ""))


def send_awaited(request: HttpRequest, run_id: str) -> HttpResponse:
    """GET: the awaited event, prefilled from the wait's expression. POST: send it; an error
    keeps what was typed."""
    get_object_or_404(Run, pk=run_id)
    step_ref = request.POST.get("step") or request.GET.get("step") or ""
    try:
        step, awaited = awaited_event_of(run_id, step_ref)
    except NothingToMove as exc:
        messages.error(request, str(exc))
        return _back_to_step(run_id, step_ref)
    data_text, error = json.dumps(awaited.data, indent=2), ""
    if request.method == "POST":
        data_text = request.POST.get("data", "")
        try:
            data = strict_json.loads(data_text or "{}")
            sent = actions.send_awaited_event_now(request, run_id, step.hashed_id, data)
        except json.JSONDecodeError as exc:
            error = f"the data is not valid JSON: {exc}"
        except (NotAwaited, EventValidationError, TimeTravelOff, NothingToMove) as exc:
            error = str(exc)
        else:
            resumed = "it resumed the wait" if sent.resumed else "the wait had ended meanwhile"
            messages.success(request, f"Sent {awaited.name} ({sent.event_id}): {resumed}.")
            return _back_to_step(run_id, step.hashed_id)
    context = {"run_id": run_id, "step": step, "awaited": awaited, "data_text": data_text}
    return render(request, "runs/send_awaited.html", {**context, "error": error})


@require_POST
def release_run(request: HttpRequest, run_id: str) -> HttpResponse:
    """Admit a run queued behind a throttle now; back to the page the button was on."""
    run = get_object_or_404(Run.objects.select_related("function"), pk=run_id)
    try:
        actions.release_throttled_run_now(request, run_id)
        messages.success(request, f"Run {run_id} released: it starts now.")
    except (TimeTravelOff, NothingToMove) as exc:
        messages.error(request, str(exc))
    if request.POST.get("back") == "inspector":
        return redirect("function-inspector", slug=run.function.slug)
    return redirect("run-detail", run_id=run_id)


@require_POST
def release_hold(request: HttpRequest, slug: str) -> HttpResponse:
    """Start the run a debounce or batch hold keeps back, now; back to the inspector."""
    function = get_object_or_404(Function, slug=slug)
    kind, key = request.POST.get("kind", ""), request.POST.get("key", "")
    try:
        released = actions.release_hold_now(request, function, kind, key)
        messages.success(request, f"Released the {kind}: run {released.run_id} starts now.")
    except (TimeTravelOff, NothingToMove, BadHoldKind) as exc:
        messages.error(request, str(exc))
    return redirect("function-inspector", slug=slug)


def _back_to_step(run_id: str, step: str) -> HttpResponse:
    query = f"?{urlencode({'step': step})}" if step else ""
    return HttpResponseRedirect(reverse("run-detail", args=[run_id]) + query)
