"""The web process holding Connect workers' sockets is stopped the way an operator stops it
(SIGTERM) while a worker runs a step: the server stops accepting connections, tells each
worker to dial in again (GATEWAY_CLOSING), sends it no new request, waits for the steps it
runs, then closes the sockets (runs/connect/gateway.py `close_gateway`). The app's history
records the end as `gateway closed`, each worker dials in again on its own once the server is
back, and the run completes with the running step run once: both SDKs, told to move, dial in
again at once and answer over the new socket, which the stopping server still accepts."""

import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.connect_apps import WORKER_APPS, ConnectWorker, connect_server, connection_history
from tests.harness import DevServer, wait_until
from tests.mcp_client import call

# Longer than the SDKs' lease-extension interval (5 s): the worker extends the request it runs
# over its new socket, which must grant it (the Python SDK drops a request whose extension is
# refused, and it ran again after the restart).
SLOW_STEP_SECONDS = 7
# Far longer than the step plus a Python worker's flush delay (5-6 s after the step, when its
# answer missed the socket it dropped), however slow the machine: the drain ends as soon as the
# step's answer is in, so a long one costs nothing. The stop (drain + uvicorn's 3 s) stays under
# STOP_SECONDS, after which the harness kills a server that did not stop.
DRAIN_SECONDS = 60
STOP_SECONDS = 90


@pytest.fixture
def server(tmp_path: Path) -> Iterator[DevServer]:
    drain = {"DEVSERVER_CONNECT_DRAIN_SECONDS": str(DRAIN_SECONDS)}
    with connect_server(tmp_path, "graceful-stop", **drain) as server:
        yield server


@pytest.mark.parametrize("sdk", list(WORKER_APPS))
def test_a_stopped_web_process_lets_workers_finish_their_step_and_move(
    server: DevServer, tmp_path: Path, sdk: str
) -> None:
    app = WORKER_APPS[sdk][1]
    worker = ConnectWorker(server, tmp_path, sdk, "g1")
    try:
        worker.wait_connected()
        [before] = [w["connection_id"] for w in worker.holding()]
        [event_id] = server.send({"name": f"{app}/slow", "data": {"seconds": SLOW_STEP_SECONDS}})
        wait_until(lambda: "slow:start:g1" in worker.log_lines(), 30, "the slow step to start")

        server.stop_web(STOP_SECONDS)
        assert server.process.proc.returncode != -signal.SIGKILL  # it stopped on its own
        assert "slow:end:g1" in worker.log_lines()  # the stop waited for the running step
        server.start_web()

        worker.wait_connected()  # dialed in again on its own
        assert before not in {w["connection_id"] for w in worker.holding()}
        run = server.wait_run(event_id, f"{app}-slow", timeout=120)
        assert run["status"] == "Completed", run
        assert run["output"] == {"worker": "g1", "after": "ok"}
        # Its answer came in before the stop ended: the running step ran once, each step
        # stored once.
        assert worker.log_lines().count("slow:start:g1") == 1, worker.log_lines()
        assert worker.log_lines().count("slow:after") == 1
        # The end as the Apps page, GET /api/apps and the MCP tool list_apps show it.
        page = {r["connection"]: r["reason"] for r in connection_history(server, app)}
        assert page[before] == "gateway closed", page
        api = next(a for a in server.http.get("/api/apps").json() if a["name"] == app)
        mcp_apps = call(server.url, "list_apps", dict(server.http.headers))
        mcp = next(a for a in mcp_apps if a["name"] == app)
        for listed in (api, mcp):
            ended = next(r for r in listed["connect_history"] if r["connection_id"] == before)
            assert ended["reason"] == "gateway closed" and ended["disconnected_at"], ended
            assert [w["instance_id"] for w in listed["connect_workers"]] == ["g1"]
    finally:
        worker.process.kill()
