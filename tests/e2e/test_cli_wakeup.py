"""Work a command creates starts at once on the running server. This server's reconciler runs
once an hour, so within the waits below only the command's own wake-up (embedded: forwarded
through the data folder's socket; staging: Redis) can start the runs. The waits are long only
for a loaded machine."""

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.harness import FUNCTION_COUNTS, TERMINAL, DevServer, SdkApp, wait_until

# Far longer than any wait here: the reconciler cannot be what starts a run.
NO_RECONCILER = {"DEVSERVER_RECONCILE_INTERVAL": "3600"}


@pytest.fixture(scope="module")
def quiet(tmp_path_factory: pytest.TempPathFactory, artifacts: Path) -> Iterator[dict]:
    work = tmp_path_factory.mktemp("wakeup")
    server = DevServer(work, env=NO_RECONCILER, name="wakeup")
    app = SdkApp("py", server.url, work, app_id="wake-app")
    server.sdk_urls = [app.url]
    app.start()
    server.start()
    try:
        server.wait_synced(app, FUNCTION_COUNTS["py"])
        yield {"server": server, "app": app}
    finally:
        server.stop()
        app.process.stop()
        for path in work.glob("*.log"):
            shutil.copy(path, artifacts / f"wakeup-{path.name}")


def _ended(server: DevServer, run_id: str, timeout: float = 40) -> dict:
    return wait_until(
        lambda: (r := server.run(run_id))["status"] in TERMINAL and r, timeout, f"run {run_id}"
    )


def test_events_sent_from_the_command_line_start_their_run_at_once(quiet: dict):
    server, app = quiet["server"], quiet["app"]
    body = json.dumps({"name": app.event("multi"), "data": {"via": "cli"}})
    sent = server.manage("events", "send", body)
    assert sent.returncode == 0, sent.stderr
    run = server.wait_run(sent.stdout.strip(), app.slug("multi-step"), timeout=40)
    assert run["status"] == "Completed", run


def test_invoke_rerun_and_bulk_replay_from_the_command_line_start_at_once(quiet: dict):
    server, app = quiet["server"], quiet["app"]
    invoked = server.manage("functions", "invoke", app.slug("multi-step"), "--data", "{}")
    assert invoked.returncode == 0, invoked.stderr
    first = _ended(server, invoked.stdout.split("started run ")[1].strip())
    assert first["status"] == "Completed", first

    rerun = server.manage("runs", "rerun", first["id"], "--step", "b")
    assert rerun.returncode == 0, rerun.stderr
    second = _ended(server, rerun.stdout.split("new run ")[1].split()[0])
    assert second["status"] == "Completed", second

    slug = app.slug("multi-step")
    before = server.runs_matching(function=slug)
    assert {r["status"] for r in before} == {"Completed"}
    replay = server.manage("bulk", "replay", "--function", slug, "--status", "Completed", "--yes")
    assert replay.returncode == 0, replay.stderr
    matched = int(replay.stdout.split(": ")[1].split()[0])
    assert matched == len(before)

    def all_replays_completed() -> bool:
        runs = server.runs_matching(function=slug)
        return len(runs) == 2 * matched and {r["status"] for r in runs} == {"Completed"}

    wait_until(all_replays_completed, 40, "the bulk replays to complete")
