"""Websocket routes (live views)."""

from django.urls import path, re_path

from console.live import LiveConsumer

websocket_urlpatterns = [
    path("ws/runs/", LiveConsumer.as_asgi()),
    path("ws/events/", LiveConsumer.as_asgi(), {"list": "events"}),
    re_path(r"^ws/runs/(?P<run_id>[0-9A-Za-z]{26})/$", LiveConsumer.as_asgi()),
    re_path(r"^ws/bulk/(?P<bulk_id>[0-9]+)/$", LiveConsumer.as_asgi()),
]
