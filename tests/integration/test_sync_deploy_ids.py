"""Each sync's deployId is the sync's, not the app's: the JS SDK copies it into every step URL,
and an app that only echoes a fresh deployId is unchanged (no function rewritten, no
"synced app" line), while its stored step URLs never carry a stale one."""

import threading

import pytest
from django.db import connection, transaction

from runs.models import App, Function
from runs.registration import parse_registration, register

pytestmark = pytest.mark.django_db

APP = "http://127.0.0.1:3000/api/inngest"


def _body(deploy_id: str) -> dict:
    step_url = f"{APP}?deployId={deploy_id}&fnId=shop-charge&stepId=step"
    function = {
        "id": "shop-charge",
        "name": "Charge",
        "triggers": [{"event": "shop/order"}],
        "steps": {"step": {"id": "step", "runtime": {"type": "http", "url": step_url}}},
    }
    return {"url": f"{APP}?deployId={deploy_id}", "appName": "shop", "sdk": "js:v4.24.0",
            "functions": [function]}  # fmt: skip


def test_a_sync_that_only_brings_a_new_deploy_id_changes_nothing():
    first = register(parse_registration(_body("01FIRSTSYNC")), default_retries=4)
    again = register(parse_registration(_body("01SECONDSYNC")), default_retries=4)
    assert first.modified and not again.modified
    function = Function.objects.get(slug="shop-charge")
    assert function.step_url == f"{APP}?fnId=shop-charge&stepId=step"
    assert "deployId" not in str(function.config) and first.app.url == APP


@pytest.mark.django_db(transaction=True)
def test_two_first_syncs_of_an_app_racing_both_register():
    """The second sync read no app row, then met the first one's insert: it must not fail
    (it answered 500 with a unique violation on the app's URL)."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serializes the two writers before either reads: no race to lose")
    inserted, finished = threading.Event(), threading.Event()

    def first_sync() -> None:
        with transaction.atomic():
            App.objects.create(url=APP, name="shop")
            inserted.set()
            finished.wait(timeout=1.0)  # the second sync reads, then blocks on our insert
        connection.close()

    racer = threading.Thread(target=first_sync)
    racer.start()
    inserted.wait(timeout=10)
    threading.Timer(0.3, finished.set).start()
    result = register(parse_registration(_body("01RACINGSYNC")), default_retries=4)
    racer.join()
    assert result.app.url == APP and App.objects.filter(url=APP).count() == 1
    assert Function.objects.filter(slug="shop-charge", app=result.app).exists()
