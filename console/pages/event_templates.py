"""The known event names offered as one-click templates by the send-event and invoke forms:
names from synced functions' triggers and from recently seen user events, each with the data
of its latest event (when one was seen and is small enough to edit)."""

import json
from dataclasses import dataclass
from typing import Any

from events.models import Event
from events.selectors import INTERNAL_PREFIX
from runs.models import Function

# How far back "recently seen" looks: one indexed query, newest first.
RECENT_EVENTS = 500
# A template is something to edit by hand: a larger payload is offered as `{}`.
MAX_TEMPLATE_DATA_BYTES = 4096
# Every trigger name is offered; of the names only seen in events, the newest few.
MAX_SEEN_ONLY = 20


@dataclass(frozen=True)
class EventTemplate:
    name: str
    data: dict[str, Any]
    from_trigger: bool  # a synced function listens to it (else: only seen recently)

    def body(self) -> str:
        """The JSON the send form is filled with."""
        return json.dumps({"name": self.name, "data": self.data}, indent=2, ensure_ascii=False)

    def data_json(self) -> str:
        """The JSON the invoke form is filled with (`event.data` of the invoked run)."""
        return json.dumps(self.data, indent=2, ensure_ascii=False)


def trigger_names(functions: list[Function] | None = None) -> list[str]:
    """Event names that synced (active) functions trigger on; wildcards are not sendable."""
    if functions is None:
        functions = list(Function.objects.filter(archived=False))
    return sorted(
        {
            t["event"]
            for f in functions
            for t in f.triggers
            if t.get("event") and not t["event"].endswith("*")
        }
    )


def known_templates() -> list[EventTemplate]:
    """Trigger names first (what functions listen to), then other recently seen user events."""
    latest = _latest_data()  # newest first
    names = trigger_names()
    listened = set(names)
    seen_only = [n for n in latest if n not in listened][:MAX_SEEN_ONLY]
    templates = [EventTemplate(n, latest.get(n, {}), True) for n in names]
    return templates + [EventTemplate(n, latest[n], False) for n in sorted(seen_only)]


def templates_for(function: Function) -> list[EventTemplate]:
    """For the invoke form: each of the function's trigger events, with its latest data."""
    names = trigger_names([function])
    latest = _latest_data(names)
    return [EventTemplate(n, latest.get(n, {}), True) for n in names]


def _latest_data(names: list[str] | None = None) -> dict[str, dict[str, Any]]:
    """{name: data of its newest event} over the recent user events, newest name first. The
    scan reads ids, names and sizes only: payloads can be megabytes, and only the chosen few
    small ones are loaded."""
    events = Event.objects.exclude(name__startswith=INTERNAL_PREFIX).order_by("-id")
    if names is not None:
        events = events.filter(name__in=names)
    newest: dict[str, str | None] = {}
    for event_id, name, size in events.values_list("id", "name", "size_bytes")[:RECENT_EVENTS]:
        if name not in newest:
            newest[name] = event_id if size <= MAX_TEMPLATE_DATA_BYTES else None
    loaded = Event.objects.in_bulk([i for i in newest.values() if i is not None])
    return {
        name: _editable(loaded[event_id].data) if event_id in loaded else {}
        for name, event_id in newest.items()
    }


def _editable(data: Any) -> dict[str, Any]:
    return data if isinstance(data, dict) else {}
