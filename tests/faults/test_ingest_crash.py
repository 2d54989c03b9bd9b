"""A web process killed while clients send events loses no event it acknowledged: group
commit answers a request only after its transaction committed, so every id a client got back
is in the database after a restart, however the kill fell between storing and answering."""

import http.client
import json
import threading
from contextlib import closing
from pathlib import Path

from tests.harness import EVENT_KEY, DevServer, wait_until

CLIENTS = 8


def _send_until_refused(port: int, client: int, acknowledged: list[str]) -> None:
    """POST one event at a time on a keep-alive connection until the server is gone."""
    headers = {"Content-Type": "application/json"}
    number = 0
    with closing(http.client.HTTPConnection("127.0.0.1", port, timeout=30)) as connection:
        while True:
            body = json.dumps({"name": "test/crash", "data": {"client": client, "n": number}})
            try:
                connection.request("POST", f"/e/{EVENT_KEY}", body, headers)
                answer = connection.getresponse()
                payload = answer.read()
            except OSError:  # killed: the request in flight has no answer, so no promise
                return
            if answer.status == 200:
                acknowledged.extend(json.loads(payload)["ids"])
            number += 1


def test_every_acknowledged_event_survives_a_kill(tmp_path: Path) -> None:
    server = DevServer(tmp_path).start()
    try:
        acknowledged: list[str] = []
        threads = [
            threading.Thread(target=_send_until_refused, args=(server.port, c, acknowledged))
            for c in range(CLIENTS)
        ]
        for thread in threads:
            thread.start()
        wait_until(lambda: len(acknowledged) >= 300, 60, "300 events acknowledged")
        server.kill_web()  # SIGKILL while requests are in flight and groups are committing
        for thread in threads:
            thread.join(timeout=60)
        server.start_web()
        missing = [
            event_id
            for event_id in acknowledged
            if server.http.get(f"/v1/events/{event_id}").status_code != 200
        ]
        assert len(acknowledged) >= 300 and missing == []
    finally:
        server.stop()
