"""Event ids from the SDK's `x-inngest-event-id-seed` (inngest/inngest `SeededIDFromString`):
the seed's milliseconds are the ULID's time, its 10 bytes the entropy, plus the event's index
in the request on the last four bytes; anything malformed gives no ids."""

import base64

from ulid import ULID

from events.seeds import seeded_ids


def _seed(millis: int, entropy: bytes) -> str:
    return f"{millis},{base64.b64encode(entropy).decode()}"


def test_the_same_seed_gives_the_same_ids_and_each_event_its_own():
    seed = _seed(1743130137367, bytes(range(10)))
    ids = seeded_ids(seed, 3)
    assert ids == seeded_ids(seed, 3) and ids is not None and len(set(ids)) == 3
    first = ULID.from_str(ids[0])
    assert first.milliseconds == 1743130137367
    assert bytes(first)[6:] == bytes(range(10))
    assert bytes(ULID.from_str(ids[2]))[6:] == bytes(range(9)) + bytes([9 + 2])


def test_the_index_wraps_around_the_last_four_bytes():
    ids = seeded_ids(_seed(5, b"\x01" * 6 + b"\xff\xff\xff\xff"), 2)
    assert ids is not None
    assert bytes(ULID.from_str(ids[1]))[6:] == b"\x01" * 6 + b"\x00\x00\x00\x00"


def test_a_malformed_seed_gives_no_ids():
    good = base64.b64encode(bytes(10)).decode()
    for seed in [
        None,
        "",
        "abc",
        f"x,{good}",
        f"0,{good}",
        f"-5,{good}",
        f"{2**48},{good}",
        "17,AAAA",
        "17,not base64!",
        f"17,{good},extra",
    ]:
        assert seeded_ids(seed, 1) is None, seed
