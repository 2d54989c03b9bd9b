"""The trace's rows as HTML, written here rather than in a template loop: a page of 500 rows
costs a template ~0.5 s and this ~10 ms (the run page must answer in under 300 ms at 1,000
steps). Every value is escaped; _trace.html keeps the frame around the rows."""

from urllib.parse import quote

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from .trace import Row, Span

# A span narrower than this (percent) is drawn without its duration written inside.
NARROW = 7.0


def rows_html(
    rows: list[Row], selected: str, keep: str, after: dict[str, str] | None = None
) -> SafeString:
    """One link per row (`?{keep}step=<hashed id>`): name, spans and mark, duration; `after`:
    HTML drawn under a step's row (the app's own spans, console/pages/telemetry.py)."""
    extra = after or {}
    return mark_safe(  # escaped below and by the writers of `after`
        "".join(_row(row, selected, keep) + extra.get(row.key, "") for row in rows)
    )


def spans_html(row: Row) -> SafeString:
    return mark_safe(_lane(row))  # escaped below


def _row(row: Row, selected: str, keep: str) -> str:
    key, name, status = escape(row.key), escape(row.name), escape(row.status)
    chosen = " selected" if row.key == selected else ""
    href = f"?{escape(keep)}step={escape(quote(row.key))}"
    title = f"{name} · {escape(row.opcode)} · {escape(row.offset)}"
    return (
        f'<a class="trace-grid trace-row{chosen}" href="{href}" data-step="{key}" '
        f'data-step-name="{name}" data-status="{status}">'
        f'<span class="trace-name" title="{title}"><i class="dot status-{status.lower()}"></i>'
        f'<strong class="step-name">{name}</strong></span>'
        f'<span class="trace-lane">{_lane(row)}</span>'
        f'<span class="trace-took">{escape(row.duration)}</span></a>'
    )


def _lane(row: Row) -> str:
    parts = [_span(span) for span in row.spans]
    mark = row.mark
    if mark is not None:
        tip = escape(f"{mark.label} {mark.when}")
        if mark.left is not None:
            parts.append(f'<span class="mark" style="left: {mark.left}%" data-tip="{tip}"></span>')
        else:
            label = escape(mark.label)
            parts.append(f'<span class="mark-off" data-tip="{tip}">{label} &rarr;</span>')
    return "".join(parts)


def _span(span: Span) -> str:
    narrow = " narrow" if span.width < NARROW else ""
    return (
        f'<span class="span span-{span.kind}{narrow}" '
        f'style="left: {span.left}%; width: {span.width}%" data-tip="{escape(span.tip)}">'
        f"{escape(span.duration)}</span>"
    )
