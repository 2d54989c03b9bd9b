"""`manage.py runs diff` as text: one line per step, then each JSON change by path."""

import json

from runs.run_diff import Pair, RunDiff


def diff_lines(diff: RunDiff) -> list[str]:
    lines = [
        f"A {diff.a.id} ({diff.a.status})  B {diff.b.id} ({diff.b.status})  "
        f"{diff.differing_steps} of {len(diff.steps)} steps differ"
    ]
    for pair in [diff.run, *diff.steps]:
        label = "run" if pair is diff.run else f"step {pair.name}"
        lines.append(f"{'*' if pair.differs else ' '} {label}: {_summary(pair)}")
        for field, changes in pair.json_changes.items():
            for change in changes:
                lines.append(
                    f"    {field} {change.path} {change.kind}: "
                    f"{_short(change.old)} -> {_short(change.new)}"
                )
    return lines


def _summary(pair: Pair) -> str:
    if "presence" in pair.differs:
        return "only in A" if pair.b is None else "only in B"
    if not pair.differs:
        return "same"
    assert pair.a is not None and pair.b is not None  # both present past the check above
    parts = []
    for name in pair.differs:
        if name in ("attempts", "status", "duration_ms"):
            parts.append(f"{name} {pair.a.get(name)} -> {pair.b.get(name)}")
        else:
            parts.append(name)
    return "differs in " + ", ".join(parts)


def _short(value: object) -> str:
    text = json.dumps(value, default=str)
    return text if len(text) <= 80 else text[:77] + "..."
