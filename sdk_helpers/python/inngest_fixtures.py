"""Replay a run exported by the dev server as a test fixture (GET /api/runs/{id}/fixture, the
run page's "Export as test fixture", `manage.py runs export`) against a Python SDK function,
offline, with the SDK's own `inngest.experimental.mocked` (inngest 0.5.19):

    from inngest_fixtures import assert_replays

    def test_checkout_replays_the_failed_staging_run() -> None:
        assert_replays("fixtures/checkout-run.json", checkout)

Every finished step of the run is stubbed with its memoized output (or its error, which the
function gets as `inngest.StepError`), so no step runs its code: the function body runs with
the step results of the recorded run, and its return value (or error) is compared with the
run's. A step the function reaches that the run had not finished runs its code, as
`mocked.trigger` runs unstubbed steps.

`mocked.trigger` looks stubs up by a step's name; a name used several times in one run (a step
id in a loop) is handed its recorded results in the order the run completed them.

No dependency beyond the SDK: copy this file next to your tests. The format is the dev server's
runs/fixture_format.py ("inngest-devserver/run", version 1)."""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import inngest
from inngest.experimental import mocked

KIND = "inngest-devserver/run"
VERSION = 1


def load(fixture: str | Path | Mapping[str, Any]) -> dict[str, Any]:
    """The fixture from a file path, or as given; checked to be one this module reads."""
    data = dict(fixture) if isinstance(fixture, Mapping) else json.loads(Path(fixture).read_text())
    if data.get("fixture") != KIND or data.get("version") != VERSION:
        raise ValueError(f'not a run fixture of version {VERSION} ("fixture": "{KIND}")')
    return data


class StepStubs(Mapping[str, object]):
    """The stubs `mocked.trigger` takes, by step name: each lookup of a name hands out the next
    recorded memo of that name, so a step id used in a loop gets each of its results in turn."""

    def __init__(self, steps: list[dict[str, Any]]) -> None:
        self._by_name: dict[str, deque[object]] = {}
        for step in steps:  # completion order, as exported
            self._by_name.setdefault(step["name"], deque()).append(step["memo"])

    def __contains__(self, name: object) -> bool:
        return bool(self._by_name.get(name)) if isinstance(name, str) else False

    def __getitem__(self, name: str) -> object:
        # The memo itself: {"data": x} or {"error": {...}} as the server sends it on replay;
        # the SDK parses it as it parses the server's (a waitForEvent's event, or null, too).
        return self._by_name[name].popleft()

    def __iter__(self) -> Iterator[str]:
        return iter(name for name, memos in self._by_name.items() if memos)

    def __len__(self) -> int:
        return sum(1 for memos in self._by_name.values() if memos)


def replay(
    fixture: str | Path | Mapping[str, Any],
    fn: inngest.Function[Any],
    client: mocked.Inngest | None = None,
) -> Any:
    """Run `fn` offline with the fixture's events and memoized steps (mocked.trigger's result:
    `status`, `output`, `error`)."""
    data = load(fixture)
    events = [_event(raw) for raw in data["events"]] or [inngest.Event(name="replay")]
    client = client or mocked.Inngest(app_id=data["function"].get("app") or "replay")
    stubs = StepStubs(data["steps"])
    # mocked.trigger declares a dict; it only reads stubs with `in` and [], as a Mapping has.
    return mocked.trigger(fn, events, client, step_stubs=stubs)  # type: ignore[arg-type]


def assert_replays(
    fixture: str | Path | Mapping[str, Any],
    fn: inngest.Function[Any],
    client: mocked.Inngest | None = None,
) -> Any:
    """Replay the fixture and assert `fn` ends as the run did: the same output (as JSON) for a
    completed run, an error with the same message for a failed one. Returns the result."""
    data = load(fixture)
    run = data["run"]
    result = replay(data, fn, client)
    if run["status"] == "Completed":
        assert result.status is mocked.Status.COMPLETED, (
            f"run {run['id']} completed, the replay failed: {result.error!r}"
        )
        replayed = json.loads(json.dumps(result.output))
        assert replayed == run["output"], (
            f"run {run['id']} returned {run['output']!r}, the replay {replayed!r}"
        )
    elif run["status"] == "Failed":
        assert result.status is mocked.Status.FAILED, (
            f"run {run['id']} failed ({run['error']}), the replay completed: {result.output!r}"
        )
        message = getattr(result.error, "message", None) or str(result.error)
        expected = (run.get("error") or {}).get("message")
        assert message == expected, (
            f"run {run['id']} failed with {expected!r}, the replay {message!r}"
        )
    else:
        raise ValueError(
            f"run {run['id']} is {run['status']}: "
            "only a completed or failed run has an outcome to compare"
        )
    return result


def _event(raw: Mapping[str, Any]) -> inngest.Event:
    fields = {k: raw[k] for k in ("id", "name", "data", "ts") if k in raw}  # what Event holds
    return inngest.Event(**fields)
