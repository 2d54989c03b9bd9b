"""Start the real dev server and real SDK apps as subprocesses, and talk to them over HTTP."""

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from tests.processes import ROOT, Process

APPS = ROOT / "tests" / "apps"
TERMINAL = {"Completed", "Failed", "Cancelled"}
# The official-SDK test apps (tests/apps) and how many functions each registers.
SDK_KINDS = ["py", "js3", "js4"]
FUNCTION_COUNTS = {"py": 45, "js3": 25, "js4": 26}
# DEVSERVER_TEST_STAGING=1: every DevServer runs as staging does: Postgres, Redis, a web
# process and two separate Celery workers plus beat (make test runs the suite both ways).
STAGING = os.environ.get("DEVSERVER_TEST_STAGING") == "1"
PG_URL = os.environ.get("DEVSERVER_TEST_PG", "postgres://devserver:devserver@127.0.0.1:5432")
REDIS_BASE = os.environ.get("DEVSERVER_TEST_REDIS", "redis://127.0.0.1:6379")
STAGING_WORKERS = 2
# Keys of the secured modes: the SDK apps then run in their production (cloud) mode, every
# request and response between server and app is signed, and events need this event key.
SIGNING_KEY = os.environ.get("INNGEST_SIGNING_KEY") or "signkey-test-" + "5a1e" * 16
EVENT_KEY = (os.environ.get("INNGEST_EVENT_KEY") or "test-key").split(",")[0]
SECURED_SERVER_ENV = {
    "SECRET_KEY": os.environ.get("SECRET_KEY") or "test-only-secret-key-of-the-secured-suite",
    "INNGEST_SIGNING_KEY": SIGNING_KEY,
    "INNGEST_EVENT_KEY": EVENT_KEY,
}


_RUN_RELATIVE = (
    "import runpy, sys; sys.path.insert(0, {folder!r}); "
    "runpy.run_path({folder!r} + '/' + {script!r}, run_name='__main__')"
)


def cloud_mode_env(server_url: str, signing_key: str = SIGNING_KEY) -> dict[str, str]:
    """What an SDK app needs to talk to a server that has a signing key."""
    return {
        "INNGEST_DEV": "0",
        "INNGEST_BASE_URL": server_url,
        "INNGEST_SIGNING_KEY": signing_key,
        "INNGEST_EVENT_KEY": EVENT_KEY,
    }


# Each session starts at its own place among the Redis databases (by pid): two sessions that
# run staging servers at once on one Redis (several people or agents on one machine) would
# otherwise both hand out 2, 3, ... and take each other's wake-ups.
_redis_dbs = iter(range(os.getpid() % 255, 10_000))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(check: Callable[[], Any], timeout: float, what: str, interval: float = 0.05) -> Any:
    """Poll `check` until it returns something truthy; fail with `what` after `timeout` s."""
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            result = check()
            if result:
                return result
        except (httpx.HTTPError, OSError, ValueError) as exc:
            last_error = exc
        time.sleep(interval)
    raise AssertionError(
        f"timed out after {timeout}s waiting for {what} (last error: {last_error})"
    )


class SdkApp:
    """One test app (Python SDK or JS SDK 3.x/4.x) serving the functions of tests/apps."""

    def __init__(
        self,
        kind: str,
        server_url: str,
        work_dir: Path,
        app_id: str = "",
        env: dict[str, str] | None = None,
    ) -> None:
        self.kind = kind  # "py", "js3" or "js4"
        self.app_id = app_id or f"{kind}-app"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/api/inngest"
        self.log_file = work_dir / f"{self.app_id}.steps.log"
        self.log_file.touch()
        env = {
            "APP_ID": self.app_id,
            "PORT": str(self.port),
            "LOG_FILE": str(self.log_file),
            "INNGEST_DEV": "1",
            "INNGEST_BASE_URL": server_url,
            **(cloud_mode_env(server_url) if STAGING else {}),
            **(env or {}),
        }
        if kind == "py":
            # Compiled from paths relative to the working folder (ROOT): stack traces on run
            # pages, and so the README's screenshots, name no folder of the machine that ran
            # the tests (Python makes a script's own path absolute; run_path keeps it as given).
            here = str(APPS.relative_to(ROOT))
            cmd = [sys.executable, "-c", _RUN_RELATIVE.format(folder=here, script="python_app.py")]
        else:
            cmd = ["node", str(APPS / "js" / "app.mjs")]
            env["SDK_MAJOR"] = kind[-1]
        self.process = Process(self.app_id, cmd, env, work_dir)

    def start(self) -> "SdkApp":
        self.process.start()
        wait_until(
            # An app in production mode answers an unsigned GET with 401: it is up all the same.
            lambda: httpx.get(self.url, timeout=1).status_code in (200, 401),
            30,
            f"{self.app_id} to serve ({self.process.output()[-2000:]})",
        )
        return self

    def slug(self, function: str) -> str:
        return f"{self.app_id}-{function}"

    def event(self, name: str) -> str:
        return f"{self.app_id}/{name}"

    def log_lines(self) -> list[str]:
        return self.log_file.read_text().splitlines()

    def clear_log(self) -> None:
        self.log_file.write_text("")


class DevServer:
    """`manage.py devserver` on a free port with its own data folder."""

    def __init__(
        self,
        work_dir: Path,
        sdk_urls: list[str] = (),
        env: dict[str, str] | None = None,
        name: str = "devserver",
    ) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.data_dir = work_dir / f"{name}-data"
        self.sdk_urls = list(sdk_urls)
        self.env = {"DEVSERVER_LOG_LEVEL": "INFO", **(env or {})}
        self.work_dir, self.name = work_dir, name
        self.process: Process | None = None
        self.workers: list[Process] = []
        # Staging: Celery worker processes and threads each (bench.scale_out varies them).
        self.worker_count, self.worker_threads = STAGING_WORKERS, 8
        self.http = httpx.Client(base_url=self.url, timeout=30)
        if STAGING:
            # Staging requires a login for pages and /api/; scripts use the signing key.
            self.env.update(SECURED_SERVER_ENV)
            self.http.headers["Authorization"] = f"Bearer {SIGNING_KEY}"
            self.database = f"ds_{self.port}"
            # Databases 1-255 (.ci/services.sh starts Redis with 256): never one a server
            # still running in this session uses.
            self.redis_db = next(_redis_dbs) % 255 + 1
            self.env.update(
                {
                    "DATABASE_URL": f"{PG_URL}/{self.database}",
                    "REDIS_URL": f"{REDIS_BASE}/{self.redis_db}",
                    "DEVSERVER_POLL_INTERVAL": "1",
                    "DEVSERVER_DISCOVERY": "false",
                }
            )

    def command(self) -> list[str]:
        cmd = [
            sys.executable,
            "manage.py",
            "devserver",
            "--port",
            str(self.port),
            "--data-dir",
            str(self.data_dir),
            "--no-discovery",
            "--poll-interval",
            "1",
        ]
        for url in self.sdk_urls:
            cmd += ["-u", url]
        return cmd

    def start(self) -> "DevServer":
        if STAGING:
            return self._start_staging()
        self.process = Process(self.name, self.command(), self.env, self.work_dir).start()
        wait_until(
            lambda: self.http.get("/api/apps").status_code == 200,
            60,
            f"the dev server to answer ({self.output()[-3000:]})",
        )
        return self

    def _start_staging(self) -> "DevServer":
        """Fresh database and Redis db on first start; web, workers and beat as processes."""
        if self.process is None:
            _reset_staging_stores(self.database, self.redis_db)
        env = {**self.env, "DEVSERVER_SDK_URLS": ",".join(self.sdk_urls)}
        self.process = Process(self.name, self.command(), env, self.work_dir).start()
        wait_until(
            lambda: self.http.get("/api/apps").status_code == 200,
            60,
            f"the web process to answer ({self.output()[-3000:]})",
        )
        celery = [sys.executable, "-m", "celery", "-A", "devserver"]
        self.workers = [
            Process(
                f"{self.name}-worker{i}",
                [
                    *celery,
                    "worker",
                    "--pool",
                    "threads",
                    "--concurrency",
                    str(self.worker_threads),
                    "--hostname",
                    f"w{i}-{self.port}@%h",
                    "--without-gossip",
                    "--without-mingle",
                    "--loglevel",
                    "WARNING",
                ],
                env,
                self.work_dir,
            ).start()
            for i in range(self.worker_count)
        ]
        self.workers.append(
            Process(
                f"{self.name}-beat",
                [
                    *celery,
                    "beat",
                    "--schedule",
                    str(self.work_dir / f"{self.name}-beat-schedule"),
                    "--loglevel",
                    "WARNING",
                ],
                env,
                self.work_dir,
            ).start()
        )
        return self

    def stop(self) -> None:
        for process in [*self.workers, self.process]:
            if process:
                process.stop()

    def kill(self) -> None:
        for process in [*self.workers, self.process]:
            if process:
                process.kill()

    def kill_workers(self) -> None:
        """SIGKILL the processes that execute steps (embedded: the whole server)."""
        if STAGING:
            for worker in self.workers:
                worker.kill()
        else:
            self.kill()

    def kill_web(self) -> None:
        """SIGKILL the process that serves HTTP (embedded: the whole server; staging: the
        web process only, workers and beat keep going)."""
        if STAGING and self.process:
            self.process.kill()
        else:
            self.kill()

    def stop_web(self, timeout: float = 10) -> None:
        """Stop the process that serves HTTP as an operator does, SIGTERM (embedded: the whole
        server; staging: the web process only); SIGKILL after `timeout` seconds."""
        if self.process:
            self.process.stop(timeout=timeout)

    def start_web(self) -> "DevServer":
        """Start the web process again after kill_web or stop_web (embedded: the whole
        server)."""
        if not STAGING:
            return self.start()
        env = {**self.env, "DEVSERVER_SDK_URLS": ",".join(self.sdk_urls)}
        self.process = Process(self.name, self.command(), env, self.work_dir).start()
        wait_until(
            lambda: self.http.get("/api/apps").status_code == 200,
            60,
            f"the web process to answer ({self.output()[-3000:]})",
        )
        return self

    def restart(self) -> "DevServer":
        self.stop()
        return self.start()

    def output(self) -> str:
        logs = [p.output() for p in [self.process, *self.workers] if p]
        return "\n".join(logs)

    # --- API helpers -------------------------------------------------------------------
    def manage(self, *args: str, stdin: str = "") -> subprocess.CompletedProcess:
        """Run a `manage.py` command against this server's database."""
        env = {**os.environ, **self.env, "DEVSERVER_DATA_DIR": str(self.data_dir)}
        return subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=60,
        )

    def send(self, events: dict | list) -> list[str]:
        response = self.http.post(f"/e/{EVENT_KEY}", json=events)
        assert response.status_code == 200, response.text
        return response.json()["ids"]

    def runs_matching(self, **params: object) -> list[dict]:
        """Every run of `GET /api/runs` for these filters, following the cursor (with a CEL
        filter a page may hold fewer runs than asked, and say where to go on)."""
        runs: list[dict] = []
        cursor = None
        while True:
            answer = self.http.get("/api/runs", params={**params, "cursor": cursor or ""})
            page = answer.json()
            assert "runs" in page, f"GET /api/runs answered {answer.status_code}: {page}"
            runs += page["runs"]
            cursor = page["next_cursor"]
            if not cursor:
                return runs

    def wait_synced(self, app: SdkApp, functions: int, timeout: float = 30) -> None:
        def synced() -> bool:
            slugs = [f["slug"] for f in self.http.get("/api/functions").json()]
            return sum(s.startswith(app.app_id + "-") for s in slugs) >= functions

        wait_until(synced, timeout, f"{app.app_id} to sync {functions} functions")

    def runs_for_event(self, event_id: str) -> list[dict]:
        return self.http.get(f"/v1/events/{event_id}/runs").json()["data"]

    def wait_run(
        self, event_id: str, function: str, statuses: set[str] = TERMINAL, timeout: float = 30
    ) -> dict:
        """Wait for `function`'s run of this event to reach one of `statuses`; return it
        in full (our API, with steps and failed attempts)."""

        def reached() -> dict | None:
            for run in self.runs_for_event(event_id):
                if run["function_id"] == function:
                    detail = self.run(run["run_id"])
                    if detail["status"] in statuses:
                        return detail
            return None

        return wait_until(reached, timeout, f"{function} run of {event_id} to be in {statuses}")

    def run(self, run_id: str) -> dict:
        return self.http.get(f"/api/runs/{run_id}").json()


def _reset_staging_stores(database: str, redis_db: int) -> None:
    import psycopg
    import redis

    with psycopg.connect(f"{PG_URL}/devserver", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{database}"')
    redis.Redis.from_url(f"{REDIS_BASE}/{redis_db}").flushdb()
