"""JSON as RFC 8259 defines it, and as our JSON columns can store it. Python's parser also takes
NaN and Infinity, numbers too large for a double (1e400 becomes inf), lone surrogates ("\\ud800"),
and fails with other exceptions on a 5,000-digit integer or deep nesting. Every such input is a
JSONDecodeError here, so callers that catch it refuse bad input with a clear message."""

import json
import math
import re
from typing import Any

# Deeper nesting than this is refused: storing and re-encoding a value recurse once per level.
MAX_DEPTH = 256
# A lone surrogate can only come from a \uD800-\uDFFF escape: look for one before walking.
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")
_CONTAINER_MARKS = (b"[", b"{")


def _refuse_constant(name: str) -> Any:
    raise json.JSONDecodeError(f"{name} is not valid JSON", name, 0)


def _parse_float(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise json.JSONDecodeError(f"the number {text[:40]} is too large to store", text, 0)
    return value


def loads(raw: str | bytes) -> Any:
    try:
        value = json.loads(raw, parse_constant=_refuse_constant, parse_float=_parse_float)
    except RecursionError:
        raise json.JSONDecodeError(f"nested deeper than {MAX_DEPTH} levels", "", 0) from None
    except json.JSONDecodeError:
        raise
    except ValueError as exc:  # e.g. an integer over Python's digit limit
        raise json.JSONDecodeError(f"a value cannot be read: {exc}", "", 0) from None
    data = raw.encode(errors="surrogatepass") if isinstance(raw, str) else raw
    if sum(data.count(mark) for mark in _CONTAINER_MARKS) > MAX_DEPTH and _too_deep(value):
        raise json.JSONDecodeError(f"nested deeper than {MAX_DEPTH} levels", "", 0)
    if _SURROGATE_ESCAPE.search(data) and _has_lone_surrogate(value):
        raise json.JSONDecodeError("a string holds a lone surrogate (\\ud800-\\udfff)", "", 0)
    return value


def _children(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [*value.keys(), *value.values()]
    if isinstance(value, list):
        return value
    return []


def _too_deep(value: Any) -> bool:
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > MAX_DEPTH:
                return True
            stack.extend((child, depth + 1) for child in _children(item))
    return False


def _has_lone_surrogate(value: Any) -> bool:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return True
        else:
            stack.extend(_children(item))
    return False
