"""Event ids from the SDK's seed, so that a send the SDK retries is stored once.

Wire shape (PyPI inngest 0.5.19 `client_lib/client.py` `_seed`; npm inngest 3.x/4.x
`components/Inngest.js` `_send`): `POST /e/{key}` carries `x-inngest-event-id-seed:
<ms since the epoch>,<base64 of 10 random bytes>`, made once per `send()` and repeated on each
of its retries (up to five attempts, on a 5xx or a lost answer). Semantics (inngest/inngest,
`SeededIDFromString`): the i-th event of the request gets the ULID whose time is those
milliseconds and whose entropy is the 10 bytes with `i` added to their last four (a big-endian
uint32 that wraps). A missing or malformed seed means fresh ids, as before."""

import base64
import binascii

from ulid import ULID

EVENT_ID_SEED_HEADER = "x-inngest-event-id-seed"
ENTROPY_BYTES = 10
MAX_ULID_MILLIS = 2**48 - 1


def seeded_ids(seed: str | None, count: int) -> list[str] | None:
    """The ids of a request's `count` events from its seed header, or None for no usable seed."""
    if not seed:
        return None
    millis_text, _, entropy_text = seed.partition(",")
    try:
        millis = int(millis_text)
        entropy = base64.b64decode(entropy_text, validate=True)
    except (ValueError, binascii.Error):
        return None
    if not 0 < millis <= MAX_ULID_MILLIS or len(entropy) != ENTROPY_BYTES:
        return None
    head, tail = entropy[:6], int.from_bytes(entropy[6:], "big")
    return [
        str(ULID.from_bytes(millis.to_bytes(6, "big") + head + _uint32(tail + index)))
        for index in range(count)
    ]


def _uint32(value: int) -> bytes:
    return (value % 2**32).to_bytes(4, "big")
