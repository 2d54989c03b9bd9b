"""The app's own spans and the run's metadata on the run page: spans become rows under their
step in the trace (placed by the step the SDK named, else by time), and the panel lists a
step's spans and metadata, or the run's own metadata.

Built from rows read once per page (runs.models.UserSpan and RunMetadata, both bounded per
run); nothing here queries the database."""

import bisect
from dataclasses import dataclass
from datetime import datetime

from django.utils.html import escape

from runs.models import RunMetadata, UserSpan
from runs.protocol import Opcode

from .step_panel import JsonBlock
from .trace import MIN_WIDTH, Row, Trace
from .trace_html import NARROW
from .trace_time import after_start, duration

# Steps whose time is a wait, not code running: a span is never placed in them by time.
_PARKED = {Opcode.SLEEP, Opcode.WAIT_FOR_EVENT, Opcode.WAIT_FOR_SIGNAL, Opcode.INVOKE}
# How many earlier steps a span's start is checked against when placed by time.
_LOOK_BACK = 64
MAX_DEPTH = 6  # nesting drawn; deeper spans are drawn at this depth
# Span rows drawn under one step (or unplaced): the page's cost stays bounded by its steps; the
# rest are counted in a last row (and all are in the step's panel and the API).
MAX_ROWS_PER_STEP = 50
MAX_PANEL_SPANS = 100


@dataclass(frozen=True)
class SpanRow:
    """One of the app's spans, drawn as a row under its step."""

    span: UserSpan
    depth: int
    left: float
    width: float
    tip: str


@dataclass(frozen=True)
class SpanView:
    name: str
    took: str
    status: str
    attributes: JsonBlock


def place_spans(built: Trace, spans: list[UserSpan]) -> dict[str, list[SpanRow]]:
    """The spans to draw under each step, by hashed id ("" for spans of no step), in order
    of start."""
    if not spans:
        return {}
    known = {row.key for row in built.rows}
    starts = [row.start for row in built.rows]
    by_id = {s.span_id: s for s in spans}
    placed: dict[str, list[SpanRow]] = {}
    for span in spans:
        start = (span.started_at - built.origin).total_seconds()
        end = (span.ended_at - built.origin).total_seconds()
        key = span.step_hashed_id if span.step_hashed_id in known else ""
        if not key:
            key = _step_at(built.rows, starts, start)
        tip = f"{span.name} · {duration(end - start)} · from {after_start(start)}"
        if span.status == "error":
            tip += " · error"
        left = min(max(start / built.total * 100, 0), 100)
        width = max(min(max(end / built.total * 100, 0), 100) - left, MIN_WIDTH)
        row = SpanRow(span, _depth(span, by_id), round(left, 3), round(width, 3), tip)
        placed.setdefault(key, []).append(row)
    return placed


def _step_at(rows: list[Row], starts: list[float], moment: float) -> str:
    """The step that was running at `moment` (the latest to start), or blank."""
    index = bisect.bisect_right(starts, moment) - 1
    for row in rows[max(index - _LOOK_BACK, -1) + 1 : index + 1][::-1]:
        if row.opcode not in _PARKED and row.start <= moment <= row.end:
            return row.key
    return ""


def _depth(span: UserSpan, by_id: dict[str, UserSpan]) -> int:
    depth, parent = 0, by_id.get(span.parent_span_id)
    while parent is not None and depth < MAX_DEPTH:
        depth, parent = depth + 1, by_id.get(parent.parent_span_id)
    return depth


def rows_html(key: str, rows: list[SpanRow], href: str) -> str:
    """The rows of a step's spans; each links to its step (`href`)."""
    parts = []
    for row in rows[:MAX_ROWS_PER_STEP]:
        span = row.span
        status = " span-error" if span.status == "error" else ""
        narrow = " narrow" if row.width < NARROW else ""
        took = escape(duration((span.ended_at - span.started_at).total_seconds()))
        parts.append(
            f'<a class="trace-grid trace-row user-span" href="{href}" data-step="{escape(key)}" '
            f'data-span-id="{escape(span.span_id)}" style="--depth: {row.depth}">'
            f'<span class="trace-name" title="{escape(span.name)}">'
            f'<span class="user-span-name">{escape(span.name)}</span></span>'
            f'<span class="trace-lane"><span class="span span-userland{status}{narrow}" '
            f'style="left: {row.left}%; width: {row.width}%" data-tip="{escape(row.tip)}">'
            f"{took}</span></span>"
            f'<span class="trace-took">{took}</span></a>'
        )
    if len(rows) > MAX_ROWS_PER_STEP:
        more = len(rows) - MAX_ROWS_PER_STEP
        parts.append(
            f'<a class="trace-grid trace-row user-span more" href="{href}" '
            f'data-step="{escape(key)}"><span class="trace-name muted">and {more} more spans: '
            f"see the step's panel</span><span></span><span></span></a>"
        )
    return "".join(parts)


def span_views(rows: list[SpanRow]) -> list[SpanView]:
    """The first MAX_PANEL_SPANS spans of a step, for its panel (all of them: the API)."""
    return [
        SpanView(
            r.span.name,
            duration((r.span.ended_at - r.span.started_at).total_seconds()),
            r.span.status,
            JsonBlock.of(r.span.attributes),
        )
        for r in rows[:MAX_PANEL_SPANS]
    ]


def metadata_views(rows: list[RunMetadata], step: str) -> list[tuple[str, JsonBlock, datetime]]:
    """The metadata of `step` (blank: of the run) as (kind, values, updated at)."""
    return [
        (m.kind, JsonBlock.of(m.values), m.updated_at) for m in rows if m.step_hashed_id == step
    ]
