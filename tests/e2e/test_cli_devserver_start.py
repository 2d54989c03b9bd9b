"""What a newcomer sees when starting the server: `make dev` says what it installs, the server
starts without library warnings, and a poll that changes nothing logs nothing."""

import shutil
import subprocess
from pathlib import Path

from tests.harness import ROOT, DevServer, SdkApp, wait_until

# What a newcomer saw on the console before: kombu's broker URL warning and setuptools' own.
STARTUP_NOISE = ("No hostname was supplied", "setuptools", "pkg_resources", "Warning:")


def test_server_starts_quietly_and_logs_a_sync_only_when_it_changed_something(
    tmp_path: Path, artifacts: Path
):
    server = DevServer(tmp_path, name="quiet-start")
    app = SdkApp("py", server.url, tmp_path, app_id="quiet-app")
    server.sdk_urls = [app.url]
    app.start()
    server.start()
    try:
        server.wait_synced(app, 1)
        first = server.http.get("/api/apps").json()[0]["synced_at"]
        seen = {first}

        def polled_three_more_times() -> bool:
            seen.add(server.http.get("/api/apps").json()[0]["synced_at"])
            return len(seen) >= 4

        # The harness polls every second: three re-syncs of an app that did not change.
        wait_until(polled_three_more_times, 30, "three more syncs of the unchanged app")
        # The web process (embedded: the whole server). Staging's separate `celery worker`
        # processes warn about running as root in this test machine: not what a user starts.
        assert server.process is not None
        output = server.process.output()
    finally:
        server.stop()
        app.process.stop()
        for path in tmp_path.glob("*.log"):
            shutil.copy(path, artifacts / f"quiet-start-{path.name}")
    for noise in STARTUP_NOISE:
        assert noise not in output, output
    assert output.count("synced app quiet-app") == 1, output


def _dry_run(target: str, venv: Path) -> list[str]:
    """The commands `make TARGET` would run to set up a fresh virtualenv."""
    done = subprocess.run(
        ["make", "-n", target, f"VENV={venv}"], cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


def test_make_dev_shows_its_install_progress_and_the_tests_stay_quiet(tmp_path: Path):
    fresh = tmp_path / "fresh-venv"  # never created: a dry run only lists the commands
    dev = _dry_run("dev", fresh)
    installs = [line for line in dev if "pip install" in line]
    assert len(installs) == 2 and not any("--quiet" in line for line in installs), dev
    assert any("installing the pinned dependencies" in line for line in dev), dev
    tests = [line for line in _dry_run("test-fast", fresh) if "pip install" in line]
    assert len(tests) == 2 and all("--quiet" in line for line in tests), tests
