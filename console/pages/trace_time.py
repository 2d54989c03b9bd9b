"""How the run trace speaks of time: short durations ("4.2 s"), moments relative to the run's
start ("4 s after start") or to now ("in 5 min"), and the ticks of the time axis."""

from dataclasses import dataclass
from datetime import datetime

# Axis tick steps in seconds: 1-2-5 below a minute, then steps a reader counts in.
_TICK_STEPS = (
    *(m * 10.0**e for e in range(-3, 2) for m in (1, 2, 5)),
    30.0,
    60.0,
    120.0,
    300.0,
    600.0,
    900.0,
    1800.0,
    3600.0,
    7200.0,
    4 * 3600.0,
    6 * 3600.0,
    12 * 3600.0,
    86400.0,
    2 * 86400.0,
    7 * 86400.0,
    30 * 86400.0,
)
# At most this many gaps between ticks: labels of ~6 characters stay apart at 600 px.
MAX_TICKS = 8


@dataclass(frozen=True)
class Tick:
    left: float  # percent of the axis
    label: str


def duration(seconds: float) -> str:
    """A duration as people read it on a trace: `12 ms`, `4.2 s`, `3 min 5 s`, `2 h 4 min`."""
    seconds = max(seconds, 0.0)
    if seconds < 0.001:
        return "<1 ms" if seconds > 0 else "0 ms"
    # Each unit is chosen after rounding, so 59.6 s reads "1 min", never "60 s".
    if round(seconds * 1000) < 1000:
        return f"{seconds * 1000:.0f} ms"
    if round(seconds, 1) < 10:
        return f"{seconds:.1f}".removesuffix(".0") + " s"
    whole = round(seconds)
    if whole < 60:
        return f"{whole} s"
    for unit, size, sub_unit, sub_size in (
        ("d", 86400, "h", 3600),
        ("h", 3600, "min", 60),
        ("min", 60, "s", 1),
    ):
        if whole >= size:
            major, rest = divmod(whole, size)
            minor = rest // sub_size
            return f"{major} {unit} {minor} {sub_unit}" if minor else f"{major} {unit}"
    return f"{whole} s"  # unreachable: 60 s and more have a unit above


def after_start(seconds: float) -> str:
    """A moment on the run's clock: `4.2 s after start` (a moment before it says so)."""
    if seconds < 0:
        return f"{duration(-seconds)} before start"
    return "at start" if seconds < 0.0005 else f"{duration(seconds)} after start"


def from_now(moment: datetime, now: datetime) -> str:
    """`in 5 min` or `5 min ago`."""
    delta = (moment - now).total_seconds()
    return f"in {duration(delta)}" if delta >= 0 else f"{duration(-delta)} ago"


def ticks(total: float) -> list[Tick]:
    """Ticks for an axis of `total` seconds: a round step giving at most MAX_TICKS gaps."""
    total = max(total, 0.001)
    step = next((s for s in _TICK_STEPS if total / s <= MAX_TICKS), _TICK_STEPS[-1])
    count = int(total / step + 1e-9)
    return [
        Tick(round(i * step / total * 100, 3), "0" if i == 0 else duration(i * step))
        for i in range(count + 1)
    ]
