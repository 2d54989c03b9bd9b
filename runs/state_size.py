"""The size of memoized state as the SDK receives it: a memo's bytes as compact JSON. Stored
with each memo (Step.memo_size) so a run's total is a sum, not a read of every output."""

import json
from typing import Any


def json_size(value: Any) -> int:
    """Bytes of `value` as compact JSON; ASCII-escaped, so characters and bytes are one."""
    return len(json.dumps(value, separators=(",", ":")))
