"""Apps that answer 500, garbage, malformed opcodes or nothing at all: the run retries, then
fails with an error that says what happened; the server keeps serving."""

import threading
from collections.abc import Iterator

import pytest

from tests.fake_http import JsonHandler, serving
from tests.harness import DevServer

BEHAVIOURS = {
    "500": (500, b'{"name": "Error", "message": "kaput"}'),
    "garbage": (200, b"<html>this is not JSON</html>"),
    "bad-opcode": (206, b'[{"id": "abc", "op": "Teleport"}]'),
    "empty-ops": (206, b"[]"),
    "nul": (200, b'{"text": "a\\u0000b"}'),  # valid JSON that Postgres cannot store
    # A step output over the server's limit (64 KiB for this server).
    "too-big": (206, b'[{"id": "big", "op": "StepRun", "data": "' + b"x" * 100_000 + b'"}]'),
}


class MisbehavingApp(JsonHandler):
    """Answers every execution request according to the `fnId` it is called for."""

    calls: dict[str, int] = {}
    # "hang" answers only once the module's tests are done: long after the server's 1 s, however
    # late its timeout fires on a loaded machine.
    released = threading.Event()

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        behaviour = self.path.split("fnId=bad-")[1].split("&")[0]
        MisbehavingApp.calls[behaviour] = MisbehavingApp.calls.get(behaviour, 0) + 1
        if behaviour == "hang":
            MisbehavingApp.released.wait(300)
            status, body = 200, b'"too late"'
        else:
            status, body = BEHAVIOURS[behaviour]
        self.reply(status, body)


@pytest.fixture(scope="module")
def bad_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevServer]:
    with serving(MisbehavingApp) as base:
        try:
            yield from _registered_server(tmp_path_factory, f"{base}/api/inngest")
        finally:
            MisbehavingApp.released.set()


def _registered_server(factory: pytest.TempPathFactory, url: str) -> Iterator[DevServer]:
    server = DevServer(
        factory.mktemp("bad"),
        env={
            "DEVSERVER_SDK_TIMEOUT": "1",
            "DEVSERVER_RETRY_BASE_SECONDS": "0.2",
            "DEVSERVER_STEP_OUTPUT_MAX_BYTES": str(64 * 1024),
        },
    ).start()
    register = server.http.post(
        "/fn/register",
        json={
            "url": url,
            "appName": "bad",
            "deployType": "ping",
            "sdk": "test:v0",
            "v": "0.1",
            "framework": "none",
            "functions": [_function(url, name) for name in [*BEHAVIOURS, "hang"]],
        },
    )
    assert register.status_code == 200, register.text
    yield server
    server.stop()


def _function(url: str, name: str) -> dict:
    return {
        "id": f"bad-{name}",
        "name": name,
        "triggers": [{"event": f"bad/{name}"}],
        "steps": {
            "step": {
                "id": "step",
                "name": "step",
                "retries": {"attempts": 1},
                "runtime": {"type": "http", "url": f"{url}?fnId=bad-{name}&stepId=step"},
            }
        },
    }


@pytest.mark.parametrize(
    ("behaviour", "message"),
    [
        ("500", "kaput"),
        ("garbage", "not JSON"),
        ("bad-opcode", "unknown opcode 'Teleport'"),
        ("empty-ops", "non-empty list of operations"),
        ("too-big", "over the limit of 65536"),
        ("nul", "NUL characters"),
        ("hang", "did not answer within 1s"),
    ],
)
def test_misbehaving_app_fails_the_run_after_retries_with_a_clear_error(
    bad_server: DevServer, behaviour: str, message: str
):
    [event_id] = bad_server.send({"name": f"bad/{behaviour}", "data": {"n": 1}})
    run = bad_server.wait_run(event_id, f"bad-{behaviour}", timeout=30)

    assert run["status"] == "Failed", run
    assert message in run["error"]["message"], run["error"]
    assert len(run["failed_attempts"]) == 2  # retries: 1 -> two attempts
    event = bad_server.http.get(f"/v1/events/{event_id}").json()["data"]
    assert event["data"] == {"n": 1}  # the event is kept
    assert bad_server.http.get("/api/apps").status_code == 200


def test_registration_that_is_not_json_is_refused(bad_server: DevServer):
    response = bad_server.http.post(
        "/fn/register", content=b"{oops", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json() == {"error": "registration body is not valid JSON", "status": 400}


def test_registration_without_functions_list_is_refused(bad_server: DevServer):
    response = bad_server.http.post("/fn/register", json={"url": "http://x/api", "appName": "x"})
    assert response.status_code == 400 and "functions must be a list" in response.json()["error"]
