"""Large state through the official SDKs: runs whose step outputs add up to many MB complete,
the SDK fetching its state from GET /v0/runs/{id}/actions and /batch once the server says
`use_api`, and no execution request to the app is larger than DEVSERVER_STATE_INLINE_MAX_BYTES.

- js4 (npm inngest 4.24.0): 100 steps of 1 MB, 100 MB in all (it checkpoints: several steps
  per request, reported to /v1/checkpoint, replayed from /actions when a request starts anew);
- js3 (npm inngest 3.54.2) and py (PyPI inngest 0.5.19): 12 steps of 1 MB, one request per
  step, so every request past ~4 MB of state is a use_api one (each re-reads the whole state:
  12 keeps the test short).

The apps (tests/apps/js/large_state_app.mjs, tests/apps/py_large_state.py) log each request's
body size. The test reads runs through /v1/ (status and output), never the run detail, which
would carry every output."""

import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.harness import APPS, STAGING, DevServer, Process, cloud_mode_env, free_port, wait_until

# The server's default DEVSERVER_STATE_INLINE_MAX_BYTES (the shared server keeps defaults).
INLINE_MAX_BYTES = 4 * 1024 * 1024
MB = 1_000_000
COUNTS = {"js4": 100, "js3": 12, "py": 12}


@pytest.fixture(scope="module")
def large_apps(
    server: DevServer, tmp_path_factory: pytest.TempPathFactory, artifacts: Path
) -> Iterator[dict[str, Path]]:
    work = tmp_path_factory.mktemp("large")
    processes, logs = [], {}
    try:
        for kind in COUNTS:
            port, logs[kind] = free_port(), work / f"{kind}-bodies.log"
            env = {
                "APP_ID": f"large-{kind}",
                "PORT": str(port),
                "BODY_LOG": str(logs[kind]),
                "INNGEST_DEV": "1",
                "INNGEST_BASE_URL": server.url,
                **(cloud_mode_env(server.url) if STAGING else {}),
            }
            if kind == "py":
                cmd = [sys.executable, str(APPS / "py_large_state.py")]
            else:
                cmd = ["node", str(APPS / "js" / "large_state_app.mjs")]
                env["SDK_MAJOR"] = kind[-1]
            processes.append(Process(f"large-{kind}", cmd, env, work).start())
            url = f"http://127.0.0.1:{port}/api/inngest"
            wait_until(lambda u=url: _serving(u), 30, f"the large-{kind} app to serve")
            assert server.http.post("/api/apps", json={"url": url}).status_code == 202
        wait_until(lambda: _synced(server), 60, "the large-state apps to sync")
        yield logs
    finally:
        for process in processes:
            process.stop()
            (artifacts / f"large-{process.name}.log").write_text(process.output()[-20000:])


def _serving(url: str) -> bool:
    return httpx.get(url, timeout=1).status_code in (200, 401)


def _synced(server: DevServer) -> bool:
    slugs = {f["slug"] for f in server.http.get("/api/functions").json()}
    return all(f"large-{kind}-big" in slugs for kind in COUNTS)


def _finished_run(server: DevServer, event_id: str, timeout: float) -> dict:
    def ended() -> dict | None:
        for run in server.runs_for_event(event_id):
            if run["status"] in ("Completed", "Failed", "Cancelled"):
                return run
        return None

    summary = wait_until(ended, timeout, f"the run of {event_id} to end", interval=0.5)
    return server.http.get(f"/v1/runs/{summary['run_id']}").json()["data"]


@pytest.mark.parametrize("kind", list(COUNTS))
def test_a_run_with_a_large_state_completes_and_no_request_exceeds_the_limit(
    server: DevServer, large_apps: dict[str, Path], kind: str
):
    count = COUNTS[kind]
    log = large_apps[kind]
    log.write_text("")
    [event_id] = server.send({"name": f"large-{kind}/big", "data": {"count": count, "size": MB}})
    run = _finished_run(server, event_id, timeout=120 + 3 * count)

    assert run["status"] == "Completed", run
    assert run["output"] == {"steps": count, "intact": count, "events": 1}
    sizes = [int(line) for line in log.read_text().split()]
    assert sizes and max(sizes) <= INLINE_MAX_BYTES, sizes
    if kind != "js4":  # one request per step: those past the limit carried no memos
        assert len(sizes) == count + 1
        assert sum(size < 100_000 for size in sizes) >= count + 1 - 4, sizes
