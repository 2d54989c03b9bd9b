"""GET /metrics: open in dev mode; in staging the console's auth (console/access.py) or the
dedicated DEVSERVER_METRICS_TOKEN, which that middleware lets through for this path only."""

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_safe
from prometheus_client import CONTENT_TYPE_LATEST

from .exposition import render


@require_safe
def metrics_view(request: HttpRequest) -> HttpResponse:
    return HttpResponse(render(), content_type=CONTENT_TYPE_LATEST)
