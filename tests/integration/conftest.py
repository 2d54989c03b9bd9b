"""Integration fixtures: in process with pytest-django, no subprocess and no Celery worker.

- Celery sends are recorded, not delivered (`celery_sent`): tests drive queue items
  themselves with tests/integration/drive.py, in the test thread.
- `fake_sdk`: a scripted SDK app on a loopback port (tests/integration/fake_sdk.py); its tests
  use a transactional database so on-commit hooks (wake-ups, run-end hooks) really run.
- `time_travel`: move the server's clock forward for sleeps, timeouts and retry backoff."""

import subprocess
from collections.abc import Iterator
from typing import Any

import pytest
from celery import Celery

from foundation import clock
from tests.integration.drive import TimeTravel
from tests.integration.fake_sdk import FakeSdk


@pytest.fixture(autouse=True)
def celery_sent(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, tuple, dict]]:
    """Every task sent (execute_item wake-ups, flushes, bulk actions) as (name, args, options);
    nothing reaches a broker. `Task.apply_async` and `app.send_task` both end in send_task."""
    sent: list[tuple[str, tuple, dict]] = []

    def record(app: Celery, name: str, args: Any = (), kwargs: Any = None, **options: Any) -> None:
        sent.append((name, tuple(args or ()), options))

    monkeypatch.setattr(Celery, "send_task", record)
    return sent


@pytest.fixture(autouse=True)
def _filters_in_process(settings: Any) -> None:
    """The filter worker reads the server's own database, not this test database: filters
    run in the test's process here (tests/security/test_filter_isolation.py drives the worker,
    and the e2e tests the server that uses it)."""
    settings.FILTERS_IN_WORKER = False


@pytest.fixture(autouse=True)
def _open_dev_console(settings: Any) -> None:
    """The layer runs as the dev server does, whatever the environment (the staging half of
    `make test` sets a signing key and logins): no login, no signing key. A test about logins
    or keys sets them itself (test_access_control.py, the signing-key cases of each feature)."""
    settings.REQUIRE_LOGIN = False
    settings.SIGNING_KEY = ""
    settings.SIGNING_KEY_FALLBACK = ""


@pytest.fixture(autouse=True)
def _no_subprocess(monkeypatch: pytest.MonkeyPatch) -> None:
    """Servers as subprocesses belong to tests/e2e and tests/faults."""

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("integration tests start no subprocess: move it to tests/e2e")

    monkeypatch.setattr(subprocess.Popen, "__init__", refuse)


@pytest.fixture
def time_travel(monkeypatch: pytest.MonkeyPatch) -> TimeTravel:
    travel = TimeTravel()
    monkeypatch.setattr(clock, "_offset_seconds", travel.offset)
    return travel


@pytest.fixture
def fake_sdk(transactional_db: None, settings: Any) -> Iterator[FakeSdk]:
    """A fake SDK app, serving; retries come back at once (no backoff) unless a test sets
    RETRY_BASE_SECONDS. The test fails if the server called it more often than scripted."""
    settings.RETRY_BASE_SECONDS = 0
    sdk = FakeSdk()
    with sdk.serving():
        yield sdk
    assert not sdk.problems, sdk.problems
