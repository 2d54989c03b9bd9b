"""Runs as test fixtures, end to end with the official SDKs: a run of a JS 4.x function exported
from the server replays offline under `@inngest/test` 1.0.0 to the same result; a run of a
Python SDK function (0.5.19) replays offline under `inngest.experimental.mocked` through our
pytest helper (sdk_helpers/python/inngest_fixtures.py), completed or failed; and a failed run
exported from one server (API, MCP) and imported into another (`manage.py runs import`, MCP)
reruns there from its failed step against that server's app, the fixed code. The apps are
tests/apps/js/fixture_app.mjs and tests/apps/py_fixture_app.py; their steps return times and
random ids, so a replay equal to the run can only come from the recorded memos."""

import hashlib
import importlib.util
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest

from tests.harness import (
    APPS,
    ROOT,
    STAGING,
    DevServer,
    Process,
    cloud_mode_env,
    free_port,
    wait_until,
)
from tests.mcp_client import call

sys.path.insert(0, str(ROOT / "sdk_helpers" / "python"))  # as a user's test adds the helper
from inngest_fixtures import assert_replays  # noqa: E402

PY, JS = "fixture-py", "fixture-js"


def _start_app(server: DevServer, app_id: str, cmd: list[str], work: Path, **env: str) -> Process:
    """An app of ours serving on a free port, synced into `server` by its URL."""
    port = free_port()
    base = {"APP_ID": app_id, "PORT": str(port), "INNGEST_DEV": "1", "INNGEST_BASE_URL": server.url}
    process = Process(f"{app_id}-{server.name}", cmd, {**base, **_keys(server), **env}, work)
    process.start()
    url = f"http://127.0.0.1:{port}/api/inngest"
    wait_until(lambda: _serving(url), 30, f"{app_id} to serve")
    assert server.http.post("/api/apps", json={"url": url}).status_code == 202
    slug = f"{app_id}-checkout"
    wait_until(lambda: slug in _functions(server), 60, f"{slug} to sync into {server.name}")
    return process


def _keys(server: DevServer) -> dict[str, str]:
    return cloud_mode_env(server.url) if STAGING else {}


def _serving(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code in (200, 401)
    except httpx.TransportError:
        return False


def _functions(server: DevServer) -> set[str]:
    return {f["slug"] for f in server.http.get("/api/functions").json()}


@pytest.fixture(scope="module")
def fixture_apps(
    server: DevServer, tmp_path_factory: pytest.TempPathFactory, artifacts: Path
) -> Iterator[None]:
    work = tmp_path_factory.mktemp("fixture-apps")
    processes = []
    try:
        processes.append(
            _start_app(server, PY, [sys.executable, str(APPS / "py_fixture_app.py")], work)
        )
        processes.append(
            _start_app(server, JS, ["node", str(APPS / "js" / "fixture_app.mjs")], work)
        )
        yield
    finally:
        for process in processes:
            process.stop()
            (artifacts / f"{process.name}.log").write_text(process.output())


@pytest.fixture(scope="module")
def local(tmp_path_factory: pytest.TempPathFactory, artifacts: Path) -> Iterator[DevServer]:
    """Another server (a developer's), running the Python app's fixed code."""
    work = tmp_path_factory.mktemp("fixture-local")
    local = DevServer(work, name="local")
    app = None
    try:
        local.start()
        cmd = [sys.executable, str(APPS / "py_fixture_app.py")]
        app = _start_app(local, PY, cmd, work, FIXTURE_FIXED="1")
        yield local
    finally:
        if app is not None:
            app.stop()
            (artifacts / "fixture-local-app.log").write_text(app.output())
        local.stop()
        (artifacts / "fixture-local-server.log").write_text(local.output())


def _run_of(server: DevServer, app_id: str, data: dict[str, Any]) -> dict[str, Any]:
    [event_id] = server.send({"name": f"{app_id}/checkout", "data": data})
    return server.wait_run(event_id, f"{app_id}-checkout", timeout=60)


def _fixture(server: DevServer, run_id: str) -> dict[str, Any]:
    response = server.http.get(f"/api/runs/{run_id}/fixture")
    assert response.status_code == 200, response.text
    assert "attachment" in response.headers["content-disposition"]
    return response.json()


def _load_python_app() -> ModuleType:
    """The app's module in this process, to hand its function to the replay (no serving)."""
    spec = importlib.util.spec_from_file_location("py_fixture_app", APPS / "py_fixture_app.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _hashed(step_id: str) -> str:
    return hashlib.sha1(step_id.encode()).hexdigest()


def test_a_js_run_replays_offline_with_inngest_test_to_the_same_result(
    server: DevServer, fixture_apps: None, tmp_path: Path
):
    run = _run_of(server, JS, {"items": 3, "user": "ada"})
    assert run["status"] == "Completed", run
    fixture = _fixture(server, run["id"])
    assert [s["name"] for s in fixture["steps"]] == ["quote", "charge", "settle", "receipt"]
    path = tmp_path / "js-run.json"
    path.write_text(json.dumps(fixture))

    # No server in its environment: the replay happens in the node process alone.
    replayed = subprocess.run(
        ["node", str(APPS / "js" / "replay_fixture.mjs"), str(path)],
        env={"PATH": "/usr/local/bin:/usr/bin:/bin", "INNGEST_DEV": "1"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert replayed.returncode == 0, replayed.stderr
    assert json.loads(replayed.stdout) == {"result": run["output"]}


def test_python_runs_replay_offline_with_the_sdks_mocked_trigger_completed_or_failed(
    server: DevServer, fixture_apps: None
):
    completed = _run_of(server, PY, {"items": 2, "user": "bo"})
    failed = _run_of(server, PY, {"items": 4, "user": "cy", "card": "declined"})
    assert (completed["status"], failed["status"]) == ("Completed", "Failed")
    app = _load_python_app()

    fixture = _fixture(server, completed["id"])
    names = [s["name"] for s in fixture["steps"]]
    assert names == ["quote", "note", "note", "fraud-check", "charge"]  # "note" ran twice
    assert fixture["steps"][3]["memo"]["error"]["message"].startswith("risk ")
    result = assert_replays(fixture, app.checkout)
    assert result.output["fraud"] == completed["output"]["fraud"]  # the caught step error

    assert_replays(_fixture(server, failed["id"]), app.checkout)  # fails as the run did

    fixture["steps"][0]["memo"]["data"]["cents"] += 1  # a fixture the code does not match
    with pytest.raises(AssertionError, match="returned"):
        assert_replays(fixture, app.checkout)


def test_a_run_imported_into_another_server_reruns_from_its_failed_step_against_that_app(
    server: DevServer, fixture_apps: None, local: DevServer, tmp_path: Path
):
    failed = _run_of(server, PY, {"items": 5, "user": "di", "card": "declined"})
    assert failed["status"] == "Failed"
    fixture = _fixture(server, failed["id"])
    headers = dict(server.http.headers)
    by_mcp = call(server.url, "export_run_fixture", headers, run_id=failed["id"])
    assert (by_mcp["run"], by_mcp["steps"]) == (fixture["run"], fixture["steps"])
    path = tmp_path / "failed-run.json"
    path.write_text(json.dumps(fixture))

    imported = local.manage("runs", "import", str(path))
    assert imported.returncode == 0, imported.stderr
    assert f"from {server.url} as " in imported.stdout
    [copy] = local.runs_matching(function=f"{PY}-checkout")
    detail = local.run(copy["id"])
    assert detail["status"] == "Failed" and detail["error"] == failed["error"]
    assert [s["name"] for s in detail["steps"]] == [s["name"] for s in failed["steps"]]
    [mark] = [m for m in detail["metadata"] if m["kind"] == "devserver.imported"]
    assert mark["values"]["imported_from"] == server.url
    assert mark["values"]["source_run_id"] == failed["id"]

    rerun = local.http.post(
        f"/api/runs/{copy['id']}/fork", json={"action": "rerun", "step": _hashed("charge")}
    )
    assert rerun.status_code == 201, rerun.text
    done = wait_until(
        lambda: (r := local.run(rerun.json()["id"]))["status"] in ("Completed", "Failed") and r,
        60,
        "the rerun to end",
    )
    assert done["status"] == "Completed", done
    # The steps before the charge are reused from the fixture, not run again: the same time
    # and random notes as on the first server. The charge ran here, in the fixed code.
    recorded = [(s["name"], s["memo"]) for s in failed["steps"]]
    assert {"data": done["output"]["quote"]} == next(m for n, m in recorded if n == "quote")
    assert [{"data": n} for n in done["output"]["notes"]] == [m for n, m in recorded if n == "note"]
    assert done["output"]["charge"]["cents"] == 5 * 250

    again = call(local.url, "import_run_fixture", dict(local.http.headers), fixture=fixture)
    assert again["status"] == "Failed" and again["id"] != copy["id"]
