"""Each sync's deployId is the sync's, not the app's: the JS SDK copies it into every step URL,
and an app that only echoes a fresh deployId is unchanged (no function rewritten, no
"synced app" line), while its stored step URLs never carry a stale one."""

import threading
import time

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
    inserted = threading.Event()

    def first_sync() -> None:
        """Insert, then commit only once the second sync waits on that insert: it has read no
        app row and met ours (a fixed pause let it, on a loaded machine, come after the
        commit and race nothing)."""
        with transaction.atomic():
            App.objects.create(url=APP, name="shop")
            inserted.set()
            _until_a_writer_waits_on_this_transaction()
        connection.close()

    racer = threading.Thread(target=first_sync)
    racer.start()
    assert inserted.wait(timeout=30)
    result = register(parse_registration(_body("01RACINGSYNC")), default_retries=4)
    racer.join()
    assert result.app.url == APP and App.objects.filter(url=APP).count() == 1
    assert Function.objects.filter(slug="shop-charge", app=result.app).exists()


def _until_a_writer_waits_on_this_transaction() -> None:
    """Poll PostgreSQL's live lock table for a lock request this connection blocks (30 s at
    most: a sync that never waits on it is held to the same outcome all the same)."""
    sql = (
        "SELECT count(*) FROM pg_locks WHERE NOT granted"
        " AND pg_backend_pid() = ANY(pg_blocking_pids(pid))"
    )
    deadline = time.monotonic() + 30
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(sql)
            if cursor.fetchone()[0]:
                return
            time.sleep(0.01)
