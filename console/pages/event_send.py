"""The send-event form: a JSON editor with the known event names as templates, inline errors
that keep what was typed (nothing is stored on bad input), and, once sent, the runs each event
starts as they appear."""

import json
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from console import actions
from events.ingest import EventValidationError, parse_body
from foundation import strict_json
from runs.models import Function

from .event_templates import known_templates, trigger_names

DEFAULT_NAME = "app/test.event"
# The result lists the runs of this many of the sent events (a list of thousands is possible).
MAX_FOLLOWED = 10


def send_form(request: HttpRequest) -> HttpResponse:
    """GET: the form, prefilled from a function's trigger (`?function=`) or a name (`?name=`).
    POST: validate and send. From htmx only the result fragment comes back; without scripts
    the whole page, with the body as typed."""
    if request.method == "POST":
        return _send(request)
    return _page(request, json.dumps(_prefill(request), indent=2), {})


def _prefill(request: HttpRequest) -> dict[str, Any]:
    names = trigger_names()
    template: dict[str, Any] = {"name": names[0] if names else DEFAULT_NAME, "data": {}}
    slug = request.GET.get("function")
    function = Function.objects.filter(slug=slug).first() if slug else None
    if function is not None:
        own = trigger_names([function])
        template["name"] = own[0] if own else template["name"]
    if request.GET.get("name"):
        template["name"] = request.GET["name"]
    return template


def _send(request: HttpRequest) -> HttpResponse:
    body = request.POST.get("body", "")
    result = _validate_and_send(request, body)
    status = 422 if "error" in result else 200
    if request.headers.get("HX-Request"):
        return render(request, "events/_send_result.html", result, status=status)
    return _page(request, body, result, status)


def _validate_and_send(request: HttpRequest, body: str) -> dict[str, Any]:
    try:
        strict_json.loads(body)
    except json.JSONDecodeError as exc:
        return {"error": f"Invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"}
    try:
        incoming = parse_body(body.encode())
    except EventValidationError as exc:
        return {"error": str(exc)}
    sent = actions.send_events(request, incoming)
    return {"ids": sent.ids, "followed": sent.ids[:MAX_FOLLOWED]}


def _page(
    request: HttpRequest, body: str, result: dict[str, Any], status: int = 200
) -> HttpResponse:
    context = {"templates": known_templates(), "body": body, **result}
    return render(request, "events/send.html", context, status=status)
