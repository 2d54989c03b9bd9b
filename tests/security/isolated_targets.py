"""Functions the filter-isolation tests run in the worker process (importable by name there)."""

import os
import time


def add(left: int, right: int) -> tuple[int, int]:
    return left + right, os.getpid()


def refuse(message: str) -> None:
    raise ValueError(message)


def spin(seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        pass


def hold(held: str, release: str) -> None:
    """Say so in the file `held`, then keep the worker busy until the file `release` exists
    (a minute at most)."""
    open(held, "w").close()
    end = time.monotonic() + 60
    while not os.path.exists(release) and time.monotonic() < end:
        time.sleep(0.01)


def hoard(megabytes: int) -> int:
    blocks = [bytearray(1024 * 1024) for _ in range(megabytes)]
    return len(blocks)
