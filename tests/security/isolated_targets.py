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


def hoard(megabytes: int) -> int:
    blocks = [bytearray(1024 * 1024) for _ in range(megabytes)]
    return len(blocks)
