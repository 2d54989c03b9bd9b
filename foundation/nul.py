"""NUL characters: valid in JSON and URLs, but Postgres cannot store them in text or JSONB.
Refused at the edges with a clear error instead of failing deep inside a query."""

from typing import Any


def contains_nul(value: Any) -> bool:
    """Whether a parsed JSON value holds U+0000 in any string or key."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, list):
        return any(contains_nul(item) for item in value)
    if isinstance(value, dict):
        return any(contains_nul(k) or contains_nul(v) for k, v in value.items())
    return False


def may_contain_nul(raw: bytes) -> bool:
    """A cheap first look at raw JSON; only then is the parsed value walked."""
    return b"\\u0000" in raw or b"\x00" in raw
