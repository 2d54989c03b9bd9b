"""Fixtures: one shared dev server with the three SDK apps, and fresh servers on demand."""

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from .browser import browser, console_operator, page  # noqa: F401  (browser test fixtures)
from .harness import ROOT, DevServer, SdkApp

ARTIFACTS = ROOT / "test-artifacts"
SDK_KINDS = ["py", "js3", "js4"]
FUNCTION_COUNTS = {"py": 40, "js3": 23, "js4": 23}


@contextmanager
def python_pair(
    work_dir: Path, app_id: str, env: dict[str, str] | None = None
) -> Iterator[tuple[DevServer, SdkApp]]:
    """A dev server of its own and the Python test app, synced; both stopped on the way out
    (for tests that kill, restart or re-clock the server)."""
    server = DevServer(work_dir, env=env)
    app = SdkApp("py", server.url, work_dir, app_id=app_id)
    server.sdk_urls = [app.url]
    app.start()
    try:
        server.start()
        server.wait_synced(app, FUNCTION_COUNTS["py"])
        yield server, app
    finally:
        server.stop()
        app.process.stop()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


def _require_node() -> None:
    if shutil.which("node") is None or not (ROOT / "tests/apps/js/node_modules").exists():
        pytest.fail("the JS test app needs node and `npm ci` in tests/apps/js (make test does it)")


@pytest.fixture(scope="session")
def shared(tmp_path_factory: pytest.TempPathFactory, artifacts: Path) -> Iterator[dict]:
    """A dev server with the Python, JS 3.x and JS 4.x apps registered through `-u`."""
    _require_node()
    work = tmp_path_factory.mktemp("shared")
    server = DevServer(work)
    apps = {kind: SdkApp(kind, server.url, work) for kind in SDK_KINDS}
    server.sdk_urls = [app.url for app in apps.values()]
    for app in apps.values():
        app.start()
    server.start()
    try:
        for kind, app in apps.items():
            server.wait_synced(app, FUNCTION_COUNTS[kind])
        yield {"server": server, "apps": apps}
    finally:
        server.stop()
        for app in apps.values():
            app.process.stop()
        for path in work.glob("*.log"):
            shutil.copy(path, artifacts / f"shared-{path.name}")


@pytest.fixture(scope="session")
def server(shared: dict) -> DevServer:
    return shared["server"]


@pytest.fixture(params=SDK_KINDS)
def app(request: pytest.FixtureRequest, shared: dict) -> SdkApp:
    """Each test using this runs once per official SDK, with that app's step log cleared."""
    sdk_app = shared["apps"][request.param]
    sdk_app.clear_log()
    return sdk_app
