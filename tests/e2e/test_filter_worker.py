"""The real server evaluates a user's CEL filter in its filter worker process: a filter that
cannot compile or runs over budget comes back as a 400 naming why, and the next filter is
answered as usual (the worker is replaced when it has to be)."""

from tests.harness import DevServer

NUMBERS = "[" + ",".join(str(n % 10) for n in range(450)) + "]"
SLOW = f"{NUMBERS}.map(a, {NUMBERS}.map(b, a + b)).size() > 0"


def _filter(server: DevServer, expression: str) -> tuple[int, dict]:
    answer = server.http.get("/api/runs", params={"if": expression})
    return answer.status_code, answer.json()


def test_filters_run_in_the_worker_and_refusals_say_why(server: DevServer):
    status, body = _filter(server, "output.x ==")
    assert status == 400 and "invalid expression" in body["error"]
    server.send({"name": "test/worker-filter", "data": {}})  # at least one run or event to scan
    status, body = _filter(server, SLOW)
    assert status in (200, 400)
    if status == 400:
        assert "took longer than 50 ms" in body["error"]
    status, body = _filter(server, 'output.nothing == "here"')
    assert status == 200 and body["runs"] == []
    events = server.http.get("/events/", params={"if": "event.name == 'test/worker-filter'"})
    assert events.status_code == 200 and "test/worker-filter" in events.text
