"""Which active functions an event concerns, found by its name instead of by walking every
function for every stored event.

Every stored event asks this, lifecycle events (`inngest/function.finished`) included, and
almost always few of the active functions listen to a given name: the walk over all of them,
their triggers and their `cancelOn` options was ~1-2% of the server's busy time per run. A
name's answer is kept until the active functions change (runs/triggers.py builds a new one)."""

from typing import Generic, TypeVar

from .models import Function
from .spec import CancelOn

Route = TypeVar("Route")
_KEPT_NAMES = 4096  # event names are the apps' (and users'): answers kept, within a bound


class _ByName(Generic[Route]):
    """Routes keyed by an event name, or (`wildcards`) by a pattern with Inngest's trailing
    wildcard (`app/user.*`) as triggers have."""

    def __init__(self, routes: list[tuple[str, Route]], wildcards: bool) -> None:
        self._exact: dict[str, list[Route]] = {}
        self._prefixes: list[tuple[str, Route]] = []
        self._order: dict[int, int] = {}
        for i, (_, route) in enumerate(routes):
            self._order.setdefault(id(route), i)
        for pattern, route in routes:
            if wildcards and pattern.endswith("*"):
                self._prefixes.append((pattern[:-1], route))
            else:
                self._exact.setdefault(pattern, []).append(route)
        self._answers: dict[str, list[Route]] = {}

    def of(self, name: str) -> list[Route]:
        """The routes for `name`, in the order they were given, each once."""
        found = self._answers.get(name)
        if found is None:
            matching = self._exact.get(name, []) + [
                route for prefix, route in self._prefixes if name.startswith(prefix)
            ]
            found = sorted({id(r): r for r in matching}.values(), key=lambda r: self._order[id(r)])
            if len(self._answers) >= _KEPT_NAMES:
                self._answers.clear()
            self._answers[name] = found
        return found


class EventRoutes:
    """The active functions, with what listens to each event name: their triggers (a function
    once, however many of its triggers match) and their `cancelOn` options."""

    def __init__(self, functions: list[Function]) -> None:
        self.functions = functions
        self._triggered = _ByName(
            [
                (trigger.event, function)
                for function in functions
                for trigger in function.spec.triggers
                if trigger.event
            ],
            wildcards=True,
        )
        self._cancels = _ByName(
            [
                (cancel.event, (function, cancel))
                for function in functions
                for cancel in function.spec.cancel
            ],
            wildcards=False,  # a cancelOn event is matched by its exact name
        )

    def triggered_by(self, name: str) -> list[Function]:
        """Functions with a trigger on `name` (their trigger's expression still to be checked)."""
        return self._triggered.of(name)

    def cancels_on(self, name: str) -> list[tuple[Function, CancelOn]]:
        return self._cancels.of(name)
