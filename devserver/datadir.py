"""Point the running process at a data folder chosen on the command line."""

import os
from contextlib import suppress
from pathlib import Path

from django.conf import settings
from django.db import connections

from .settings import sqlite_database


def use_data_dir(path: Path, reset: bool) -> Path:
    """Switch the SQLite database to `path` (before any query runs); `reset` wipes it first."""
    path = path.resolve()
    path.mkdir(parents=True, exist_ok=True)
    if reset:
        for child in path.iterdir():
            if child.name.startswith(("devserver.sqlite3", "celerybeat-schedule")):
                child.unlink()
    embedded = sqlite_database(path)
    if settings.DATABASES["default"]["ENGINE"] == embedded["ENGINE"]:
        settings.DATABASES["default"] = embedded
        connections.close_all()
        connections.__dict__.pop("settings", None)
        with suppress(AttributeError):
            del connections["default"]  # drop the wrapper built from the old settings
    settings.DATA_DIR = path
    # Worker processes this one starts (the filter worker) read their settings afresh.
    os.environ["DEVSERVER_DATA_DIR"] = str(path)
    settings.CELERY_BEAT_SCHEDULE_FILE = str(path / "celerybeat-schedule")
    return path
