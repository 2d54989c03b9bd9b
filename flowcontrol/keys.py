"""Flow-control keys: a CEL expression over the event, reduced to a string."""

import json
from typing import Any

from events.expressions import evaluate


def key_for(expression: str | None, event: dict[str, Any]) -> str:
    """ "" for no expression; a missing field gives the key "null" (all such events share it)."""
    if not expression:
        return ""
    value = evaluate(expression, {"event": event})
    # default=str: CEL can also build timestamps, durations and bytes, which JSON cannot hold.
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)
