"""Function control against the official SDKs in their production (cloud) mode, each refusing
an unsigned sync (`INNGEST_ENABLE_UNAUTHED_SYNC=false`): npm inngest 4.24.0 and 3.54.2, PyPI
inngest 0.5.19 (apps: tests/apps/js/control_app.mjs, tests/apps/py_control.py).

- signed sync: the console's PUT carries X-Inngest-Signature, so these apps register;
- cron `jitter` (JS 4.x `{cron, jitter}`, Python `TriggerCron(jitter=...)`) is stored;
- pausing a function: events start nothing (recorded as skipped), runs in flight hold their
  next step until it is resumed; resuming replays nothing;
- `POST /v1/cancellations` cancels the runs it selects."""

import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.harness import (
    APPS,
    SECURED_SERVER_ENV,
    SIGNING_KEY,
    DevServer,
    Process,
    cloud_mode_env,
    free_port,
    wait_until,
)

KINDS = ["js4", "js3", "py"]


class ControlApp:
    """One control app on one official SDK, in cloud mode, refusing unsigned syncs."""

    def __init__(self, kind: str, server: DevServer, work: Path) -> None:
        self.kind, self.app_id = kind, f"ctl-{kind}"
        port = free_port()
        self.url = f"http://127.0.0.1:{port}/api/inngest"
        self.log_file = work / f"{self.app_id}.steps.log"
        self.log_file.touch()
        env = {
            "APP_ID": self.app_id,
            "PORT": str(port),
            "LOG_FILE": str(self.log_file),
            **cloud_mode_env(server.url),
            "INNGEST_ENABLE_UNAUTHED_SYNC": "false",
        }
        if kind == "py":
            cmd = [sys.executable, str(APPS / "py_control.py")]
        else:
            cmd = ["node", str(APPS / "js" / "control_app.mjs")]
            env["SDK_MAJOR"] = kind[-1]
        self.process = Process(self.app_id, cmd, env, work).start()
        wait_until(self._serving, 30, f"{self.app_id} to serve")

    def _serving(self) -> bool:
        try:
            return httpx.get(self.url, timeout=1).status_code in (200, 401)
        except httpx.HTTPError:
            return False

    def slug(self, function: str) -> str:
        return f"{self.app_id}-{function}"

    def event(self, name: str) -> str:
        return f"{self.app_id}/{name}"

    def log_lines(self) -> list[str]:
        return self.log_file.read_text().splitlines()


@pytest.fixture(scope="module")
def control(tmp_path_factory: pytest.TempPathFactory, artifacts: Path) -> Iterator[dict[str, Any]]:
    work = tmp_path_factory.mktemp("control")
    server = DevServer(
        work, env={**SECURED_SERVER_ENV, "DEVSERVER_REQUIRE_LOGIN": "1"}, name="control"
    )
    server.http.headers["Authorization"] = f"Bearer {SIGNING_KEY}"
    server.start()
    apps: dict[str, ControlApp] = {}
    try:
        for kind in KINDS:
            apps[kind] = ControlApp(kind, server, work)
            assert server.http.post("/api/apps", json={"url": apps[kind].url}).status_code == 202
        yield {"server": server, "apps": apps}
    finally:
        server.stop()
        for app in apps.values():
            app.process.stop()
        for path in work.glob("*.log"):
            (artifacts / f"control-{path.name}").write_bytes(path.read_bytes())


def _functions(server: DevServer) -> dict[str, dict]:
    return {f["slug"]: f for f in server.http.get("/api/functions").json()}


@pytest.mark.parametrize("kind", ["js4", "py"])  # JS 3.54.2 has no such setting
def test_an_app_refusing_unsigned_syncs_registers_through_the_signed_sync(control: dict, kind: str):
    server: DevServer = control["server"]
    app: ControlApp = control["apps"][kind]
    wait_until(lambda: app.slug("pausable") in _functions(server), 60, f"{app.app_id} to register")
    [synced] = [a for a in server.http.get("/api/apps").json() if a["url"] == app.url]
    assert synced["sync_error"] == ""
    # The same app refuses a PUT that is not signed: it was the signature that let ours in.
    assert httpx.put(app.url, json={"url": app.url}, timeout=10).status_code == 401


@pytest.mark.parametrize("kind", ["js4", "py"])  # JS 3.54.2's cron trigger has no jitter
def test_a_cron_jitter_is_registered_with_its_trigger(control: dict, kind: str):
    server: DevServer = control["server"]
    app: ControlApp = control["apps"][kind]
    function = wait_until(
        lambda: _functions(server).get(app.slug("jitter-cron")), 60, f"{app.app_id} to register"
    )
    [cron] = function["crons"]
    assert cron["spec"] == "0 0 1 1 *" and cron["jitter"] == 30.0


def _wait_status(server: DevServer, event_id: str, slug: str, statuses: set[str]) -> dict:
    def reached() -> dict | None:
        runs = [r for r in server.runs_for_event(event_id) if r["function_id"] == slug]
        run = server.http.get(f"/api/runs/{runs[0]['run_id']}").json() if runs else None
        return run if run and run["status"] in statuses else None

    return wait_until(reached, 60, f"a run of {slug} to be {statuses}")


@pytest.mark.parametrize("kind", KINDS)
def test_v1_cancellations_cancel_the_matching_sleeping_runs(control: dict, kind: str):
    server: DevServer = control["server"]
    app: ControlApp = control["apps"][kind]
    wait_until(lambda: app.slug("napper") in _functions(server), 60, "the app to register")
    ids = [
        server.send({"name": app.event("nap"), "data": {"n": n, "seconds": 600}})[0] for n in (1, 2)
    ]
    for event_id in ids:
        _wait_status(server, event_id, app.slug("napper"), {"Sleeping"})
    body = {"app_id": app.app_id, "function_id": "napper", "if": "event.data.n == 1"}
    answer = server.http.post("/v1/cancellations", json=body)
    assert answer.status_code == 200 and answer.json()["function_id"] == "napper"
    _wait_status(server, ids[0], app.slug("napper"), {"Cancelled"})
    assert _wait_status(server, ids[1], app.slug("napper"), {"Sleeping"})["status"] == "Sleeping"


@pytest.mark.parametrize("kind", KINDS)
def test_a_paused_function_skips_events_holds_runs_and_resumes(control: dict, kind: str):
    server: DevServer = control["server"]
    app: ControlApp = control["apps"][kind]
    napper, pausable = app.slug("napper"), app.slug("pausable")
    wait_until(lambda: napper in _functions(server), 60, "the app to register")
    # 10 s: paused well before the nap ends, however slow the machine (2 s could end first).
    [nap] = server.send({"name": app.event("nap"), "data": {"n": 7, "seconds": 10}})
    sleeping = _wait_status(server, nap, napper, {"Sleeping"})
    for slug in (napper, pausable):
        assert server.http.post(f"/api/functions/{slug}/pause").status_code == 200
    assert _functions(server)[pausable]["paused"] is True

    [skipped] = server.send({"name": app.event("pausable"), "data": {"n": 1}})
    decisions = wait_until(
        lambda: server.http.get("/api/decisions", params={"event": skipped}).json(),
        30,
        "the skip to be recorded",
    )
    assert [(d["function"], d["kind"]) for d in decisions] == [(pausable, "paused")]
    # Past the sleep's end the run still holds the step after it.
    wake_at = max(datetime.fromisoformat(s["wake_at"]) for s in sleeping["steps"] if s["wake_at"])
    # A few reconciler passes after the wake-up (same machine, same clock as the server).
    held_until = wake_at + timedelta(seconds=3)
    wait_until(lambda: datetime.now(UTC) > held_until, 30, "the wake-up time to pass")
    assert server.http.get(f"/api/runs/{sleeping['id']}").json()["status"] != "Completed"
    assert "napper:after:7" not in app.log_lines()

    for slug in (napper, pausable):
        assert server.http.post(f"/api/functions/{slug}/resume").status_code == 200
    _wait_status(server, nap, napper, {"Completed"})
    [later] = server.send({"name": app.event("pausable"), "data": {"n": 2}})
    assert _wait_status(server, later, pausable, {"Completed"})["output"] == {"n": 2}
    assert "pausable:1" not in app.log_lines()  # the skipped event was not replayed
    assert server.runs_for_event(skipped) == []
