"""Small server-rendered SVG charts for the function page: a bar per interval, or lines with a
gap where an interval has no value. Pure geometry; templates/runs/_function_charts.html draws
it, so the page needs no script (the CSP allows only our own)."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

WIDTH, HEIGHT = 600, 120  # the viewBox; the SVG scales to its column
PAD_TOP = 8  # room for the top bar's rounded edge and the max label's baseline


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    title: str  # the hover text: when and how many


@dataclass(frozen=True)
class Line:
    name: str
    points: list[str] = field(default_factory=list)  # one "x,y x,y" polyline per unbroken run


@dataclass(frozen=True)
class Chart:
    key: str  # the element id: chart-<key>
    title: str
    unit: str
    top: float  # the value at the top edge
    total: str  # the figure beside the title, for the whole window
    bars: list[Bar] = field(default_factory=list)
    lines: list[Line] = field(default_factory=list)
    first: str = ""  # the time labels under the axis
    last: str = ""
    width: int = WIDTH
    height: int = HEIGHT


def _top(values: list[float]) -> float:
    """A round top for the axis, so the label reads well: 1, 2, 5 times a power of ten."""
    peak = max(values, default=0.0)
    if peak <= 0:
        return 1.0
    scale = 1.0
    while scale * 10 <= peak:
        scale *= 10
    while scale > peak:
        scale /= 10
    return next(m * scale for m in (1, 2, 5, 10) if m * scale >= peak)


def _y(value: float, top: float) -> float:
    return round(HEIGHT - value / top * (HEIGHT - PAD_TOP), 2)


def bar_chart(
    key: str, title: str, starts: list[datetime], values: list[int], total: str, label: str
) -> Chart:
    top = _top([float(v) for v in values])
    slot = WIDTH / max(len(values), 1)
    bars = [
        Bar(
            x=round(i * slot + slot * 0.1, 2),
            y=_y(v, top),
            width=round(slot * 0.8, 2),
            height=round(HEIGHT - _y(v, top), 2),
            title=f"{start:%H:%M} UTC: {v} {label}",
        )
        for i, (start, v) in enumerate(zip(starts, values, strict=True))
        if v > 0
    ]
    first, last = _axis(starts)
    return Chart(key, title, label, top, total, bars=bars, first=first, last=last)


def line_chart(
    key: str, title: str, starts: list[datetime], series: dict[str, list[float | None]], total: str
) -> Chart:
    values = [v for vs in series.values() for v in vs if v is not None]
    top = _top(values)
    slot = WIDTH / max(len(starts), 1)
    lines = []
    for name, vs in series.items():
        runs: list[list[tuple[float, float]]] = [[]]
        for i, v in enumerate(vs):
            if v is None:  # no run ended in this interval: break the line rather than dip to 0
                if runs[-1]:
                    runs.append([])
                continue
            runs[-1].append((round(i * slot + slot / 2, 2), _y(v, top)))
        points = [" ".join(f"{x},{y}" for x, y in _visible(r, slot)) for r in runs if r]
        lines.append(Line(name, points))
    first, last = _axis(starts)
    return Chart(key, title, "ms", top, total, lines=lines, first=first, last=last)


def _visible(points: list[tuple[float, float]], slot: float) -> list[tuple[float, float]]:
    """A lone value (one busy interval between empty ones) is drawn as a short level stroke
    across its interval: a polyline of one point draws nothing."""
    if len(points) > 1:
        return points
    (x, y) = points[0]
    half = slot * 0.4
    return [(round(x - half, 2), y), (round(x + half, 2), y)]


def _axis(starts: list[datetime]) -> tuple[str, str]:
    if not starts:
        return "", ""
    # A day's axis crosses midnight: its labels carry the date.
    fmt = "%H:%M" if starts[-1] - starts[0] < timedelta(hours=2) else "%m-%d %H:%M"
    return f"{starts[0]:{fmt}} UTC", f"{starts[-1]:{fmt}} UTC"
