"""Embedded mode: wake-ups sent by other processes (manage.py events send, runs rerun, bulk, ...)
reach the running dev server through a Unix socket in its data folder.

The embedded server's worker lives in its own memory, so a command's Celery message would be
lost and its work left to the reconciler (~10 s later). The command's process forwards each
wake-up it publishes to the server instead; the server hands it to its in-process worker. Only
wake-ups travel (a task name and ids): the work itself is already committed to the database,
which stays the truth, so a wake-up lost on the way is still picked up by the reconciler.
Access is the socket file's: mode 0600, the server's user only."""

import atexit
import contextlib
import json
import logging
import os
import socket
import threading
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from django.conf import settings

from runs.wakeups import Task

logger = logging.getLogger(__name__)

SOCKET_NAME = "wake.sock"
# Linux allows 107 bytes in a Unix socket's path (macOS 103): past that, no socket.
_MAX_PATH_BYTES = 100
_MAX_LINE_BYTES = 64 * 1024
_TASKS = {task.value for task in Task}
# Set in the server's own process: its wake-ups go straight to its broker.
_serving = threading.Event()

Send = Callable[[str, list[Any], datetime | None], None]


def socket_path() -> Path:
    return Path(settings.DATA_DIR) / SOCKET_NAME


# --- The server side --------------------------------------------------------------------------
def listen(send: Send) -> Path | None:
    """Open the socket (replacing one a killed server left) and re-send, through `send`, every
    valid wake-up received; None when the path is too long for a Unix socket."""
    _serving.set()
    path = socket_path()
    if len(os.fsencode(path)) > _MAX_PATH_BYTES:
        logger.warning(
            "data folder path too long for a wake-up socket: work that commands create "
            "starts when the reconciler finds it (within ~10 s)"
        )
        return None
    path.unlink(missing_ok=True)
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    previous = os.umask(0o177)  # born 0600: no moment where another user could connect
    try:
        server.bind(str(path))
    finally:
        os.umask(previous)
    server.listen(16)
    atexit.register(_remove_if_ours, path, path.stat().st_ino)
    thread = threading.Thread(target=_serve, args=(server, send), name="wake-socket", daemon=True)
    thread.start()
    return path


def _remove_if_ours(path: Path, inode: int) -> None:
    """At exit, the socket goes with the server (a newer server's socket stays)."""
    with contextlib.suppress(OSError):
        if path.stat().st_ino == inode:
            path.unlink()


def _serve(server: socket.socket, send: Send) -> None:
    while True:
        connection, _ = server.accept()
        with connection:
            connection.settimeout(2.0)  # a stuck client cannot hold the others up for long
            try:
                for line in _lines(connection):
                    _resend(line, send)
            except OSError:
                continue


def _lines(connection: socket.socket) -> list[bytes]:
    data = b""
    while len(data) <= _MAX_LINE_BYTES:
        chunk = connection.recv(8192)
        if not chunk:
            break
        data += chunk
    return data.splitlines()[:1000]


def _resend(line: bytes, send: Send) -> None:
    """A wake-up as the forwarding process published it; anything else is dropped."""
    try:
        message = json.loads(line)
        task, args, eta = message["task"], message["args"], message.get("eta")
        when = datetime.fromisoformat(eta) if eta else None
    except (ValueError, KeyError, TypeError):
        logger.warning("dropped a malformed wake-up on %s", SOCKET_NAME)
        return
    plain = all(isinstance(arg, str | int) for arg in args) if isinstance(args, list) else False
    if task not in _TASKS or not plain:
        logger.warning("dropped a wake-up for an unknown task or with odd arguments")
        return
    send(task, args, when)


# --- The forwarding side (commands) ------------------------------------------------------------
def forward(task: str, args: list[Any], eta: str | None) -> bool:
    """Hand a wake-up this process just published to the running embedded server. False when
    there is none to hand it to (staging: Redis carries it; no server: it starts later)."""
    if settings.STAGING or _serving.is_set() or not _same_database():
        return False
    path = socket_path()
    if not path.exists():
        return False
    line = json.dumps({"task": task, "args": args, "eta": eta}).encode() + b"\n"
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
            client.settimeout(2.0)
            client.connect(str(path))
            client.sendall(line)
    except OSError:  # a socket left by a killed server: the reconciler will find the work
        return False
    return True


def _same_database() -> bool:
    """This process writes the database of that data folder (in-process tests write a test
    database of their own: their wake-ups mean nothing to a server there)."""
    name = str(settings.DATABASES["default"].get("NAME", ""))
    return name == str(Path(settings.DATA_DIR) / "devserver.sqlite3")
