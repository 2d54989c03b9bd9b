"""Concurrency limits: how many steps of runs sharing a key may execute at once.

A slot is held by a leased queue item (a step in flight), not by a whole run: a sleeping or
waiting run holds none. Claimers of one key are serialized by locking that key's row."""

from datetime import datetime
from typing import Any

from django.db.models import Q

from runs.models import Function, QueueItem, Run

from .keys import key_for
from .models import ConcurrencyKey

MAX_CONSTRAINTS = 2


def constraints_for(function: Function, payload: dict[str, Any]) -> list[dict[str, Any]]:
    """Resolve the function's `concurrency` option for one run: keys with their limits."""
    spec = function.config.get("concurrency")
    if isinstance(spec, int) and not isinstance(spec, bool):
        spec = [{"limit": spec}]
    elif isinstance(spec, dict):
        spec = [spec]
    if not isinstance(spec, list):
        return []
    resolved = []
    for entry in spec[:MAX_CONSTRAINTS]:
        if not isinstance(entry, dict) or not entry.get("limit"):
            continue
        value = key_for(entry.get("key"), payload)
        scope = entry.get("scope") or "fn"
        key = f"fn:{function.slug}:{value}" if scope == "fn" else f"{scope}:{value}"
        resolved.append({"key": key, "limit": int(entry["limit"])})
    return resolved


def blocking_key(item: QueueItem, run: Run, now: datetime) -> str | None:
    """The first key whose slots are all taken by other in-flight items, else None. Call
    inside the claiming transaction: it locks each key's row until commit."""
    for constraint in run.concurrency:
        key = constraint["key"]
        ConcurrencyKey.objects.select_for_update().get_or_create(key=key)
        in_flight = (
            QueueItem.objects.filter(Q(ckey1=key) | Q(ckey2=key), lease_until__gt=now)
            .exclude(pk=item.pk)
            .count()
        )
        if in_flight >= constraint["limit"]:
            return key
    return None


def next_waiter(key: str) -> QueueItem | None:
    """The waiting item that goes first when a slot of `key` frees: earliest due (priority
    shifts due times), then oldest."""
    return (
        QueueItem.objects.filter(Q(ckey1=key) | Q(ckey2=key), lease_owner="")
        .exclude(waiting_on="")
        .order_by("due_at", "id")
        .first()
    )
