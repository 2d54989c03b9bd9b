"""The app's history of Connect workers: each socket a row (ConnectSession) from its handshake
to its end with the reason it ended. Written by the gateway (gateway.py); read by the Apps
page, the API and the MCP tools. A web process that dies cannot write its sockets' ends: the
live gateways close those rows as `gateway lost` once the dead one's registry entries are gone
(when the app's next worker connects, and every LOST_SWEEP_SECONDS)."""

from collections.abc import Collection, Iterable
from typing import Any

from django.db import transaction
from django.db.models import Q

from foundation import clock

from ..models import App, ConnectSession
from .bus import Worker, connected_workers, get_bus
from .protocol import DisconnectReason, is_connect_url

# Rows kept per app: a worker that reconnects all day must not grow the table without end.
KEEP_PER_APP = 200
# How often a gateway looks for rows a dead web process left open (the workers usually dial in
# again within the gateway key's TTL, before their old entries are gone).
LOST_SWEEP_SECONDS = 10.0


def record_connected(worker: Worker, held: Collection[str] = ()) -> None:
    """A worker finished its handshake: one open row per app it serves. Rows of the same apps
    whose socket is in no live gateway's registry any more (and not `held` by the caller's
    process) are closed as `gateway lost`."""
    now = clock.now()
    with transaction.atomic():
        close_lost_sessions(worker.app_names, keep={worker.connection_id, *held})
        for app_name in worker.app_names:
            ConnectSession.objects.get_or_create(
                connection_id=worker.connection_id,
                app_name=app_name,
                defaults={
                    "instance_id": worker.instance_id,
                    "sdk": worker.sdk,
                    "connected_at": now,
                },
            )
    for app_name in worker.app_names:
        _prune(app_name)


def record_disconnected(
    connection_id: str, reason: DisconnectReason, close_code: int | None = None
) -> int:
    """The socket ended: its rows get the time and reason. Returns how many rows it closed.
    A row already closed as `gateway lost` is corrected: the gateway that held the socket is
    alive after all (its registry entry had lapsed for missed heartbeats before it closed)."""
    return (
        ConnectSession.objects.filter(connection_id=connection_id)
        .filter(Q(disconnected_at__isnull=True) | Q(reason=DisconnectReason.GATEWAY_LOST))
        .update(disconnected_at=clock.now(), reason=reason, close_code=close_code)
    )


def close_lost_sessions(app_names: Iterable[str] | None = None, keep: Collection[str] = ()) -> int:
    """Close the open rows (of these apps; None: of every app) whose socket is in no live
    gateway's registry and whose end nobody recorded: its web process died. `keep` are
    connections known to hold. Returns how many it closed."""
    bus = get_bus()
    open_rows = ConnectSession.objects.filter(disconnected_at__isnull=True).exclude(
        connection_id__in=keep
    )
    if app_names is not None:
        open_rows = open_rows.filter(app_name__in=list(app_names))
    lost = {r.connection_id for r in open_rows if bus.worker(r.connection_id) is None}
    if not lost:
        return 0
    return open_rows.filter(connection_id__in=lost).update(
        disconnected_at=clock.now(), reason=DisconnectReason.GATEWAY_LOST
    )


def app_history(app_name: str, limit: int = 20) -> list[ConnectSession]:
    """The app's latest sockets, newest first. A row still open whose socket is in no live
    gateway's registry is marked `gone` (not stored): its end is not recorded yet (its
    gateway is closing it for missed heartbeats, or died with it)."""
    rows = list(ConnectSession.objects.filter(app_name=app_name)[:limit])
    if any(row.disconnected_at is None for row in rows):
        live = {w.connection_id for w in get_bus().workers(app_name)}
        for row in rows:
            row.gone = row.disconnected_at is None and row.connection_id not in live  # type: ignore[attr-defined]
    return rows


def connect_state(app: App) -> dict[str, list[dict[str, Any]]]:
    """What the API and the MCP tools show of an app's Connect: its workers holding a socket
    now and its latest sockets (both empty for an app served over HTTP)."""
    if not is_connect_url(app.url):
        return {"connect_workers": [], "connect_history": []}
    return {
        "connect_workers": connected_workers(app.name),
        "connect_history": _history_rows(app.name),
    }


def _history_rows(app_name: str) -> list[dict[str, Any]]:
    """`app_history` as the API and the MCP tools give it: per socket, newest first, its
    instance and SDK, when it connected and ended (ISO 8601; null while open), why (blank
    while open), the WebSocket close code, and `gone` (open, but its gateway lost it)."""
    return [
        {
            "connection_id": row.connection_id,
            "instance_id": row.instance_id,
            "sdk": row.sdk,
            "connected_at": row.connected_at.isoformat(),
            "disconnected_at": row.disconnected_at.isoformat() if row.disconnected_at else None,
            "reason": row.reason,
            "close_code": row.close_code,
            "gone": getattr(row, "gone", False),
        }
        for row in app_history(app_name)
    ]


def _prune(app_name: str) -> None:
    stale = ConnectSession.objects.filter(app_name=app_name).values_list("id", flat=True)[
        KEEP_PER_APP:
    ]
    ids = list(stale)
    if ids:
        ConnectSession.objects.filter(id__in=ids).delete()
