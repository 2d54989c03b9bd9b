"""A re-sync asked of a Connect app (API, CLI, a worker's sync task) is no failed HTTP sync: it
has no URL to PUT to and syncs when a worker dials in, so nothing is called and no sync error
is recorded over its last good sync."""

import pytest

from foundation import clock
from runs.models import App
from runs.sync import sync_app

pytestmark = pytest.mark.django_db


def test_resync_of_a_connect_app_records_no_error(monkeypatch):
    synced = clock.now()
    App.objects.create(url="connect://shop", name="shop", synced_at=synced)
    calls: list[str] = []
    monkeypatch.setattr("runs.sync.http_client", lambda: calls.append("http") or None)

    assert sync_app("connect://shop") == ""

    app = App.objects.get(url="connect://shop")
    assert app.sync_error == "" and app.synced_at == synced
    assert calls == []
