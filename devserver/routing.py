"""Websocket routes (live views)."""

websocket_urlpatterns: list = []
