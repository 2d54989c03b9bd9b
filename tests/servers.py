"""Session fixtures of the layers that start real servers (e2e, faults, browser): one shared
dev server with the three official-SDK apps, and one secured server. They start only when a
test asks for them, so unit and integration tests never pay for them."""

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.harness import (
    FUNCTION_COUNTS,
    ROOT,
    SDK_KINDS,
    SECURED_SERVER_ENV,
    SIGNING_KEY,
    STAGING,
    DevServer,
    SdkApp,
    cloud_mode_env,
)

# One folder per suite: `make test` runs the embedded and staging suites at once, and their
# process logs and screenshots have the same names.
ARTIFACTS = ROOT / "test-artifacts" / ("staging" if STAGING else "embedded")


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
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


@pytest.fixture(scope="session")
def secured(tmp_path_factory: pytest.TempPathFactory, artifacts: Path) -> Iterator[dict]:
    """A server with a signing key, event keys and logins, and the three SDK apps in their
    production mode (e2e/test_secured_server.py and browser/test_secured_console.py)."""
    _require_node()
    work = tmp_path_factory.mktemp("secured")
    server = DevServer(
        work, env={**SECURED_SERVER_ENV, "DEVSERVER_REQUIRE_LOGIN": "1"}, name="secured"
    )
    server.http.headers["Authorization"] = f"Bearer {SIGNING_KEY}"
    apps = {
        kind: SdkApp(kind, server.url, work, env=cloud_mode_env(server.url)) for kind in SDK_KINDS
    }
    server.sdk_urls = [app.url for app in apps.values()]
    for app in apps.values():
        app.start()
    server.start()
    try:
        for app in apps.values():
            server.wait_synced(app, 1)
        yield {"server": server, "apps": apps, "work": work}
    finally:
        server.stop()
        for app in apps.values():
            app.process.stop()
        for path in work.glob("*.log"):
            (artifacts / f"secured-{path.name}").write_bytes(path.read_bytes())
