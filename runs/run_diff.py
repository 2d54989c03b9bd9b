"""Two runs of one function compared step by step: steps paired by their hashed id (the SDK's
id for `step.run("name")`, `name:1` for a repeat), and for each pair the fields that differ:
input, output, error, attempts, duration and status. The comparison itself is pure
(`compare`); `diff_runs` reads the rows."""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from foundation.json_diff import Change, changes

from .models import Run, Step
from .statuses import RunStatus

JSON_FIELDS = ("input", "output", "error")
FIELDS = (*JSON_FIELDS, "attempts", "duration_ms", "status")
DURATION_SLACK_MS = 100.0


class DifferentFunctions(ValueError):
    def __init__(self, a: Run, b: Run) -> None:
        super().__init__(
            f"runs {a.id} ({a.function.slug}) and {b.id} ({b.function.slug}) are of different "
            "functions; compare two runs of the same function"
        )


@dataclass(frozen=True)
class Side:
    """One run's view of a step (or of the run itself), the fields compared."""

    name: str
    status: str
    attempts: int
    duration_ms: float | None
    input: Any = None
    output: Any = None
    error: Any = None

    def get(self, name: str) -> Any:
        return getattr(self, name)


@dataclass(frozen=True)
class Pair:
    key: str  # the hashed step id, or "run" for the run itself
    name: str
    a: Side | None  # None: this run has no such step
    b: Side | None
    differs: list[str] = field(default_factory=list)  # names from FIELDS, or ["presence"]
    json_changes: dict[str, list[Change]] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "name": self.name,
            "a": None if self.a is None else vars(self.a),
            "b": None if self.b is None else vars(self.b),
            "differs": self.differs,
            "changes": {k: [c.as_json() for c in v] for k, v in self.json_changes.items()},
        }


@dataclass(frozen=True)
class RunDiff:
    a: Run
    b: Run
    run: Pair
    steps: list[Pair]

    @property
    def differing_steps(self) -> int:
        return sum(1 for p in self.steps if p.differs)

    def as_json(self) -> dict[str, Any]:
        return {
            "function": self.a.function.slug,
            "a": self.a.id,
            "b": self.b.id,
            "run": self.run.as_json(),
            "steps": [p.as_json() for p in self.steps],
            "differing_steps": self.differing_steps,
        }


def compare(key: str, a: Side | None, b: Side | None) -> Pair:
    present = a or b
    name = present.name if present is not None else key
    if a is None or b is None:
        return Pair(key, name, a, b, ["presence"])
    differs = []
    found: dict[str, list[Change]] = {}
    for name_ in JSON_FIELDS:
        delta = changes(a.get(name_), b.get(name_))
        if delta:
            differs.append(name_)
            found[name_] = delta
    differs += [f for f in ("attempts", "status") if a.get(f) != b.get(f)]
    if _slower(a.duration_ms, b.duration_ms):
        differs.append("duration_ms")
    return Pair(key, name, a, b, differs, found)


def pair_steps(a: list[tuple[str, Side]], b: list[tuple[str, Side]]) -> list[Pair]:
    """In run A's order, then the steps only B has, in B's order."""
    in_b = dict(b)
    in_a = dict(a)
    pairs = [compare(key, side, in_b.get(key)) for key, side in a]
    pairs += [compare(key, None, side) for key, side in b if key not in in_a]
    return pairs


def diff_runs(a: Run, b: Run) -> RunDiff:
    if a.function_id != b.function_id:
        raise DifferentFunctions(a, b)
    run_pair = compare("run", _run_side(a), _run_side(b))
    return RunDiff(a, b, run_pair, pair_steps(_step_sides(a), _step_sides(b)))


def last_completed_before(run: Run) -> Run | None:
    """The function's newest completed run older than `run` (ids are time-ordered), else its
    newest completed run: what "compare with the last successful run" opens."""
    completed = Run.objects.filter(function_id=run.function_id, status=RunStatus.COMPLETED)
    return (
        completed.filter(id__lt=run.id).order_by("-id").first()
        or completed.exclude(pk=run.id).order_by("-id").first()
    )


def _slower(a: float | None, b: float | None) -> bool:
    """Wall time always differs a little between runs; a duration counts as a difference when
    one side took at least twice as long as the other and by DURATION_SLACK_MS or more."""
    if a is None or b is None:
        return (a is None) != (b is None)
    low, high = sorted((a, b))
    return high - low >= DURATION_SLACK_MS and high >= 2 * low


def _ms(start: datetime | None, end: datetime | None) -> float | None:
    return None if start is None or end is None else round((end - start).total_seconds() * 1e3, 3)


def _run_side(run: Run) -> Side:
    data = run.event.data if run.event is not None else None
    return Side(
        "run", run.status, 1, _ms(run.started_at, run.ended_at), data, run.output, run.error
    )


def _step_sides(run: Run) -> list[tuple[str, Side]]:
    steps: list[Step] = list(run.steps.order_by("started_at", "id"))
    sides = []
    for step in steps:
        memo = step.memo if isinstance(step.memo, dict) else {}
        sides.append(
            (
                step.hashed_id,
                Side(
                    step.name,
                    step.status,
                    step.attempts,
                    _ms(step.started_at, step.ended_at),
                    (step.opts or {}).get("input"),
                    memo.get("data"),
                    memo.get("error"),
                ),
            )
        )
    return sides
