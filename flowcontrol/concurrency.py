"""Concurrency limits: how many steps of runs sharing a key may execute at once.

A slot is held by a leased queue item (a step in flight), not by a whole run: a sleeping or
waiting run holds none. Here: the keys a run's options resolve to, and the row lock that
serializes the claimers of one key (the engine's queue counts the slots under it)."""

from typing import Any

from .keys import key_for
from .models import ConcurrencyKey
from .spec import FlowControl


def constraints_for(flow: FlowControl, slug: str, payload: dict[str, Any]) -> list[dict[str, Any]]:
    """Resolve a function's `concurrency` option for one run: keys with their limits. `fn`
    keys are the function's own; `env` and `account` keys are shared across functions."""
    resolved = []
    for constraint in flow.concurrency:
        value = key_for(constraint.key, payload)
        scope = constraint.scope
        key = f"fn:{slug}:{value}" if scope == "fn" else f"{scope}:{value}"
        resolved.append({"key": key, "limit": constraint.limit})
    return resolved


def lock_key(key: str) -> None:
    """Lock the key's row until the transaction ends: claimers of one key take turns."""
    ConcurrencyKey.objects.select_for_update().get_or_create(key=key)
