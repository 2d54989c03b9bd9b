"""The difference between two JSON values: the changed paths (`$.user.name`), and the two values
pretty-printed side by side with the lines that differ marked, for the run diff. Pure."""

import difflib
import json
from dataclasses import dataclass
from typing import Any, Literal

Kind = Literal["added", "removed", "changed"]
LineKind = Literal["same", "added", "removed", "blank"]


@dataclass(frozen=True)
class Change:
    path: str
    kind: Kind
    old: Any = None
    new: Any = None

    def as_json(self) -> dict[str, Any]:
        return {"path": self.path, "kind": self.kind, "old": self.old, "new": self.new}


@dataclass(frozen=True)
class Line:
    text: str
    kind: LineKind


def changes(old: Any, new: Any, path: str = "$") -> list[Change]:
    """Every leaf that differs, objects compared key by key and lists index by index; `1` and
    `1.0` are equal as in JSON, but `true` is not `1` (Python would say it is)."""
    if isinstance(old, dict) and isinstance(new, dict):
        found: list[Change] = []
        for key in sorted(old.keys() | new.keys()):
            sub = f"{path}.{key}" if key.isidentifier() else f"{path}[{json.dumps(key)}]"
            if key not in new:
                found.append(Change(sub, "removed", old=old[key]))
            elif key not in old:
                found.append(Change(sub, "added", new=new[key]))
            else:
                found += changes(old[key], new[key], sub)
        return found
    if isinstance(old, list) and isinstance(new, list):
        found = []
        for i in range(max(len(old), len(new))):
            if i >= len(new):
                found.append(Change(f"{path}[{i}]", "removed", old=old[i]))
            elif i >= len(old):
                found.append(Change(f"{path}[{i}]", "added", new=new[i]))
            else:
                found += changes(old[i], new[i], f"{path}[{i}]")
        return found
    if _same(old, new):
        return []
    return [Change(path, "changed", old=old, new=new)]


def _same(old: Any, new: Any) -> bool:
    if isinstance(old, bool) or isinstance(new, bool):
        return type(old) is type(new) and old == new
    return bool(old == new) and (old is None) == (new is None)


def side_by_side(old: Any, new: Any) -> tuple[list[Line], list[Line]]:
    """Both values as indented JSON (keys sorted, so order alone is no difference), line by
    line, aligned: a line only one side has faces a blank on the other."""
    left = _pretty(old)
    right = _pretty(new)
    out_left: list[Line] = []
    out_right: list[Line] = []
    matcher = difflib.SequenceMatcher(a=left, b=right, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            out_left += [Line(t, "same") for t in left[i1:i2]]
            out_right += [Line(t, "same") for t in right[j1:j2]]
            continue
        olds = [Line(t, "removed") for t in left[i1:i2]]
        news = [Line(t, "added") for t in right[j1:j2]]
        size = max(len(olds), len(news))
        out_left += olds + [Line("", "blank")] * (size - len(olds))
        out_right += news + [Line("", "blank")] * (size - len(news))
    return out_left, out_right


def _pretty(value: Any) -> list[str]:
    if value is None:
        return []
    return json.dumps(value, indent=2, sort_keys=True, default=str).splitlines()
