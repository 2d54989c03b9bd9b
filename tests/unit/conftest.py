"""Unit tests are pure: no database (pytest-django refuses it without a django_db mark, and
tests/conftest.py refuses the mark here) and no subprocess."""

import subprocess
from typing import Any

import pytest


@pytest.fixture(autouse=True)
def _no_subprocess(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("unit tests start no subprocess: move it to tests/e2e")

    monkeypatch.setattr(subprocess.Popen, "__init__", refuse)


@pytest.fixture(autouse=True)
def _filters_in_process(settings: Any) -> None:
    """Filters are checked in full where they are typed when they run in this process."""
    settings.FILTERS_IN_WORKER = False
