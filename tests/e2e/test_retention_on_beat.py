"""The retention purge runs on beat (embedded: the in-process beat and worker threads; staging,
DEVSERVER_TEST_STAGING=1: separate `celery beat` and `celery worker` processes), and it keeps
the events unfinished work still needs."""

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.harness import DevServer, wait_until

# Written in one transaction, as the engine writes them: a purge running meanwhile sees all or
# nothing. Everything dates from 30 days back; the server keeps 7.
SEED = """
import json
from datetime import timedelta
from django.db import transaction
from foundation import clock
from events.models import Event
from flowcontrol.models import Pending
from runs.models import App, Function, Run

then = clock.now() - timedelta(days=30)

def event(name):
    return Event.objects.create(id=clock.new_id(), name=name, ts=0, received_at=then).id

with transaction.atomic():
    app = App.objects.create(name="retention-app", url="http://127.0.0.1:9/api/inngest")
    function = Function.objects.create(
        app=app, slug="retention-app-f", name="f", step_url=app.url
    )
    ids = {"ended_event": event("test/ended"), "unused": event("test/unused")}
    ids["ended_run"] = Run.objects.create(
        id=clock.new_id(), function=function, event_id=ids["ended_event"],
        status="Completed", queued_at=then, ended_at=then,
    ).id
    ids["batch_first"], ids["batch_second"] = event("test/batch"), event("test/batch")
    ids["batched_run"] = Run.objects.create(
        id=clock.new_id(), function=function, event_id=ids["batch_first"],
        batch_event_ids=[ids["batch_first"], ids["batch_second"]],
        status="Sleeping", queued_at=then,
    ).id
    ids["held"] = event("test/held")
    Pending.objects.create(
        function=function, kind="debounce", event_ids=[ids["held"]], first_at=then,
        due_at=clock.now() + timedelta(days=1),
    )
print(json.dumps(ids))
"""


@pytest.fixture
def server(tmp_path: Path, artifacts: Path) -> Iterator[DevServer]:
    env = {"DEVSERVER_RETENTION_DAYS": "7", "DEVSERVER_PURGE_INTERVAL": "1"}
    server = DevServer(tmp_path, env=env, name="retention")
    server.start()
    try:
        yield server
    finally:
        server.stop()
        for path in tmp_path.glob("*.log"):
            shutil.copy(path, artifacts / f"retention-{path.name}")


def test_the_purge_runs_on_beat_and_keeps_events_unfinished_work_needs(server: DevServer):
    seeded = server.manage("shell", "-c", SEED)
    assert seeded.returncode == 0, seeded.stderr
    ids = json.loads(seeded.stdout.strip().splitlines()[-1])

    def gone(path: str) -> bool:
        return server.http.get(path).status_code == 404

    wait_until(
        lambda: (
            gone(f"/api/runs/{ids['ended_run']}")
            and gone(f"/api/events/{ids['ended_event']}")
            and gone(f"/api/events/{ids['unused']}")
        ),
        30,
        "the purge on beat to delete the old ended run and unused events "
        "(test-artifacts/*/retention-*.log show what the worker and beat did)",
    )
    assert server.http.get(f"/api/runs/{ids['batched_run']}").status_code == 200
    for needed in ("batch_first", "batch_second", "held"):
        assert server.http.get(f"/api/events/{ids[needed]}").status_code == 200, needed
