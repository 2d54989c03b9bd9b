"""A dev server of its own with the Python test app, for tests that kill, restart or re-clock
the server (the shared session server must not be disturbed)."""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.harness import FUNCTION_COUNTS, DevServer, SdkApp


@contextmanager
def python_pair(
    work_dir: Path, app_id: str, env: dict[str, str] | None = None
) -> Iterator[tuple[DevServer, SdkApp]]:
    """The server and the Python test app, synced; both stopped on the way out."""
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
