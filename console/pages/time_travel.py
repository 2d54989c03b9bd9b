"""The run page's time-travel buttons (dev mode): "wake now" on a sleeping step, "time out
now" on a waiting one; each its operator action, then back to the step's panel."""

from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.views.decorators.http import require_POST

from console import actions
from runs.models import Run
from runs.timetravel import NothingToMove, TimeTravelOff


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
    step = request.POST.get("step", "")
    query = f"?{urlencode({'step': step})}" if step else ""
    return HttpResponseRedirect(reverse("run-detail", args=[run_id]) + query)
