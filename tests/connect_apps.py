"""The official-SDK test apps (tests/apps/python_app.py, tests/apps/js/app.mjs) served as
Connect workers (`TRANSPORT=connect`): the same functions as over HTTP, dialing in to the
server. `ConnectApp` answers what `SdkApp` does (slug, event, log), so a test takes either.
`ConnectWorker` runs the Connect-only apps (tests/apps/py_connect.py, js/connect_app.mjs),
whose functions exercise what only Connect has (capacity, draining, a slow step)."""

import html
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.harness import APPS, ROOT, STAGING, DevServer, cloud_mode_env, wait_until
from tests.processes import Process

# The SDKs whose Connect the suite tests: Python `inngest.connect`, JS 4.x `connect()`.
CONNECT_KINDS = ["py", "js4"]
# Node 20 has a global WebSocket only behind this flag (22 has it by default). NODE_OPTIONS, not
# argv: the SDK holds the socket in a worker thread started with an empty execArgv.
NODE_WEBSOCKET_ENV = {"NODE_OPTIONS": "--experimental-websocket"}


# Each SDK's Connect-only worker app, and the app id it syncs as (the two never share a run).
WORKER_APPS = {
    "py": ([sys.executable, str(APPS / "py_connect.py")], "py-connect"),
    "js4": (["node", str(APPS / "js" / "connect_app.mjs")], "js-connect"),
}


@contextmanager
def connect_server(work: Path, name: str, **env: str) -> Iterator[DevServer]:
    """A server for Connect workers only: in staging it syncs no HTTP test app."""
    env = {**env, "DEVSERVER_SDK_URLS": ""} if STAGING else env
    server = DevServer(work, env=env, name=name).start()
    try:
        yield server
    finally:
        server.stop()


def connect_workers(server: DevServer, app_id: str) -> list[dict]:
    """The app's workers holding a socket now, as the Apps API lists them."""
    apps = server.http.get("/api/apps").json()
    app = next((a for a in apps if a.get("name") == app_id), None)
    return (app or {}).get("connect_workers", [])


_HISTORY_ROW = re.compile(
    r'<tr data-connection="(?P<connection>[^"]*)" data-session-instance="(?P<instance>[^"]*)">'
    r'.*?<td class="reason">(?P<reason>[^<]*)',
    re.S,
)


def connection_history(server: DevServer, app_id: str) -> list[dict[str, str]]:
    """The app's connections as the Apps page lists them, newest first: connection id,
    instance and the reason it ended (blank while connected)."""
    page = server.http.get("/apps/", params={"fragment": "table"}, headers={"HX-Request": "1"})
    page.raise_for_status()
    text = page.text
    start = text.find(f'data-connect-app="{html.escape(app_id)}"')
    if start < 0:
        return []
    section = text[start : text.find("</td></tr>", start)]
    return [
        {key: html.unescape(match[key]).strip() for key in ("connection", "instance", "reason")}
        for match in _HISTORY_ROW.finditer(section)
    ]


class ConnectApp:
    """One test app as a Connect worker of `server`; `start()` returns once it holds a socket."""

    def __init__(
        self,
        kind: str,
        server: DevServer,
        work_dir: Path,
        app_id: str = "",
        instance: str = "",
        env: dict[str, str] | None = None,
    ) -> None:
        self.kind = kind  # "py" or "js4"
        self.server = server
        self.app_id = app_id or f"{kind}-connect-app"
        self.instance = instance or f"{self.app_id}-1"
        self.log_file = work_dir / f"{self.app_id}.steps.log"
        self.log_file.touch()
        env = {
            "TRANSPORT": "connect",
            "APP_ID": self.app_id,
            "INSTANCE_ID": self.instance,
            "LOG_FILE": str(self.log_file),
            "INNGEST_DEV": "1",
            "INNGEST_BASE_URL": server.url,
            **(cloud_mode_env(server.url) if STAGING else {}),
            **(env or {}),
        }
        if kind == "py":
            cmd = [sys.executable, str(APPS / "python_app.py")]
        else:
            cmd = ["node", str(APPS / "js" / "app.mjs")]
            env |= {"SDK_MAJOR": "4", **NODE_WEBSOCKET_ENV}
        self.process = Process(f"{self.app_id}-{self.instance}", cmd, env, work_dir, cwd=ROOT)

    def start(self, timeout: float = 60) -> "ConnectApp":
        self.process.start()
        self.wait_connected(timeout)
        return self

    def wait_connected(self, timeout: float = 60) -> None:
        """Until this worker's instance holds a socket (a new one, after a reconnect too)."""
        wait_until(
            lambda: any(
                w.get("instance_id") == self.instance
                for w in connect_workers(self.server, self.app_id)
            ),
            timeout,
            f"{self.app_id} ({self.instance}) to connect ({self.process.output()[-2000:]})",
        )

    def slug(self, function: str) -> str:
        return f"{self.app_id}-{function}"

    def event(self, name: str) -> str:
        return f"{self.app_id}/{name}"

    def log_lines(self) -> list[str]:
        return self.log_file.read_text().splitlines()

    def clear_log(self) -> None:
        self.log_file.write_text("")


class ConnectWorker:
    """One worker of a WORKER_APPS app, started at once; its steps log to the work folder's
    connect.steps.log, shared by the workers of a test."""

    def __init__(self, server: DevServer, work: Path, sdk: str, instance: str, **env: str) -> None:
        self.server = server
        self.instance = instance
        self.log_file = work / "connect.steps.log"
        command, self.app_id = WORKER_APPS[sdk]
        self.process = Process(
            f"connect-{sdk}-{instance}",
            command,
            {
                "APP_ID": self.app_id,
                "INSTANCE_ID": instance,
                "LOG_FILE": str(self.log_file),
                "INNGEST_DEV": "1",
                "INNGEST_BASE_URL": server.url,
                **(cloud_mode_env(server.url) if STAGING else {}),
                **(NODE_WEBSOCKET_ENV if sdk == "js4" else {}),
                **env,
            },
            work,
            cwd=APPS,
        ).start()

    def holding(self) -> list[dict]:
        """This instance's sockets, as the Apps API lists the app's workers."""
        return [
            w
            for w in connect_workers(self.server, self.app_id)
            if w.get("instance_id") == self.instance
        ]

    def wait_connected(self, timeout: float = 60) -> None:
        wait_until(
            self.holding,
            timeout,
            f"{self.app_id} ({self.instance}) to connect ({self.process.output()[-2000:]})",
        )

    def log_lines(self) -> list[str]:
        return self.log_file.read_text().splitlines() if self.log_file.exists() else []
