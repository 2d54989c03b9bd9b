"""The function's flow-control inspector ("why isn't it running?"): every key with its state
now (runs/flow_state.py), re-fetched on each runs websocket message. `fragment=live` is the
part a live refresh swaps."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from runs.flow_state import flow_state
from runs.models import Function


def function_inspector(request: HttpRequest, slug: str) -> HttpResponse:
    function = get_object_or_404(Function.objects.select_related("app"), slug=slug)
    context = {"function": function, "state": flow_state(function)}
    if request.GET.get("fragment") == "live":
        return render(request, "runs/_inspector_live.html", context)
    return render(request, "runs/function_inspector.html", context)
