"""The test layers. A test's folder is its layer and its marker (`-m unit`, `-m "not e2e"`):

- unit: pure functions, no database, no subprocess (milliseconds each);
- integration: pytest-django in process; a scripted fake SDK drives the executor;
- e2e: the real dev server and the official SDKs as subprocesses;
- faults: kills, restarts, clock jumps and misbehaving apps, on servers of their own;
- browser: the dashboard in Chromium through Playwright.

`make test-fast` runs unit + integration. The server fixtures live in tests/servers.py and
start only when a test asks for them."""

import pytest

pytest_plugins = ["tests.servers"]

LAYERS = ("unit", "integration", "e2e", "faults", "browser")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    tests_dir = config.rootpath / "tests"
    for item in items:
        parts = (
            item.path.relative_to(tests_dir).parts if item.path.is_relative_to(tests_dir) else ()
        )
        layer = parts[0] if len(parts) > 1 and parts[0] in LAYERS else None
        if layer is None:
            raise pytest.UsageError(
                f"{item.nodeid}: every test lives in a layer folder: tests/{{{','.join(LAYERS)}}}/"
            )
        item.add_marker(layer)
        if layer == "unit" and item.get_closest_marker("django_db"):
            raise pytest.UsageError(
                f"{item.nodeid}: tests/unit is for tests without a database; "
                "move it to tests/integration"
            )
