"""The test layers. A test's folder is its layer and its marker (`-m unit`, `-m "not e2e"`):

- unit: pure functions, no database, no subprocess (milliseconds each);
- integration: pytest-django in process; a scripted fake SDK drives the executor;
- security: hostile users, apps and strangers (costly expressions, oversized or slow answers,
  credentials), in process with the integration fixtures;
- e2e: the real dev server and the official SDKs as subprocesses;
- faults: kills, restarts, clock jumps and misbehaving apps, on servers of their own;
- browser: the dashboard in Chromium through Playwright.

`make test-fast` runs unit + integration + security. The server fixtures live in
tests/servers.py and start only when a test asks for them."""

import pytest
from django.conf import settings

pytest_plugins = ["tests.servers"]


@pytest.fixture(scope="session")
def django_db_modify_db_settings(
    django_db_modify_db_settings_parallel_suffix: None, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """The in-process tests' SQLite database is a file in WAL mode, as the server's is. Django's
    default, a shared-cache in-memory database, fails a read at once ("table is locked") while
    another thread writes, which a server's database never does."""
    database = settings.DATABASES["default"]
    if database["ENGINE"].endswith(("sqlite3", "sqlite_backend")):
        path = tmp_path_factory.mktemp("database") / "test.sqlite3"
        database.setdefault("TEST", {})["NAME"] = str(path)


LAYERS = ("unit", "integration", "security", "e2e", "faults", "browser")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark each test with its layer, and run the layers in order: fast failures first, and no
    Playwright event loop (the browser layer's session fixture) alive during in-process tests,
    where Django would take the main thread for an async context."""
    layer_of: dict[str, int] = {}
    for item in items:
        layer = _layer(config, item)
        item.add_marker(layer)
        layer_of[item.nodeid] = LAYERS.index(layer)
        if layer == "unit" and item.get_closest_marker("django_db"):
            raise pytest.UsageError(
                f"{item.nodeid}: tests/unit is for tests without a database; "
                "move it to tests/integration"
            )
    items.sort(key=lambda item: layer_of[item.nodeid])  # stable: file order within a layer


def _layer(config: pytest.Config, item: pytest.Item) -> str:
    tests_dir = config.rootpath / "tests"
    parts = item.path.relative_to(tests_dir).parts if item.path.is_relative_to(tests_dir) else ()
    if len(parts) < 2 or parts[0] not in LAYERS:
        raise pytest.UsageError(
            f"{item.nodeid}: every test lives in a layer folder: tests/{{{','.join(LAYERS)}}}/"
        )
    return parts[0]
