"""A run's fixture for every surface (page, API, `manage.py runs`, MCP), naming this server as
the caller sees it. Export is a read; the import is an operator action (console/actions.py)."""

import socket
from typing import Any

from runs import fixture_export
from runs.models import Run

from .actions import Actor


def export_run(by: Actor, run: Run) -> dict[str, Any]:
    """The run's fixture (runs/fixture_format.py), naming this server as its source."""
    return fixture_export.export_run(run, source_of(by))


def source_of(by: Actor) -> str:
    """How an importing server names this one: the URL it was asked at (the console's address
    as the caller sees it), else (`manage.py`, MCP) the machine's host name."""
    if by is not None and ("HTTP_HOST" in by.META or "SERVER_NAME" in by.META):
        return by.build_absolute_uri("/").rstrip("/")
    return socket.gethostname()
