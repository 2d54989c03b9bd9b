"""Everything the run page shows, read in a fixed number of queries whatever the run's length:
the trace (one page of its rows), the panel of the selected step or of the run, the history."""

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

from django.http import QueryDict
from django.utils.safestring import mark_safe

from events.models import Event
from foundation import clock
from runs.defer_listing import DeferSummary, defers_of
from runs.models import Attempt, QueueItem, Run
from runs.statuses import QueueReason, RunStatus, Subject

from . import telemetry, trace, trace_html
from .step_panel import AttemptView, ErrorView, JsonBlock, StepPanel, build_panel, failed_attempt

# Rows drawn per page of the trace: a 1,000-step run is four pages of ~90 KB of HTML each,
# so the page and every live refresh of it stay well under 300 ms; the browser skips drawing
# rows out of view (content-visibility in trace.css).
TRACE_PAGE = 250


@dataclass
class Paging:
    page: int  # 1-based
    pages: int
    first: int  # 1-based index of the first row shown
    last: int
    count: int  # rows matching the filter
    query: str  # the name filter

    def _link(self, page: int) -> str:
        return "?" + urlencode({k: v for k, v in (("q", self.query), ("page", page)) if v})

    @property
    def prev_link(self) -> str:
        return self._link(self.page - 1)

    @property
    def next_link(self) -> str:
        return self._link(self.page + 1)


def page_context(run: Run, params: QueryDict) -> dict[str, Any]:
    """The template context of the run page (and of its live fragment) for `params`:
    `step` selects a step, `q` filters rows by name, `page` picks a page of rows."""
    now = clock.now()
    steps = list(run.steps.defer("memo"))
    attempts = list(run.failed_attempts.all())
    history = list(run.status_changes.filter(subject=Subject.RUN).order_by("id"))
    retry_due = dict(
        QueueItem.objects.filter(run=run, reason=QueueReason.RETRY)
        .exclude(target_step="")
        .values_list("target_step", "due_at")
    )
    children = dict(
        Run.objects.filter(invoked_by__run=run).values_list("invoked_by__hashed_id", "status")
    )
    built = trace.build(run, steps, attempts, history, now, retry_due, children)
    selected = params.get("step", "")
    rows, paging = _page_of(built.rows, params, selected)
    keep = _keep(paging)
    # The app's own spans and the run's metadata: a bounded number of rows per run.
    spans = telemetry.place_spans(built, list(run.user_spans.all()))
    metadata = list(run.metadata.all())
    panel = {
        "run": run,
        "selected": selected,
        "keep": keep,
        "panel": _panel(run, built, attempts, selected, now),
        "run_panel": _run_panel(run, built, attempts) if not selected else None,
        "user_spans": telemetry.span_views(spans.get(selected, [])) if selected else [],
        "metadata": telemetry.metadata_views(metadata, selected),
    }
    if params.get("fragment") == "panel":
        return panel  # the panel alone: no rows to write
    after = {
        row.key: telemetry.rows_html(row.key, spans[row.key], f"?{keep}step={quote(row.key)}")
        for row in rows
        if row.key in spans
    }
    unplaced = telemetry.rows_html("", spans.get("", []), f"?{keep}")
    return panel | {
        "trace": built,
        "rows": rows,
        "rows_html": mark_safe(unplaced + trace_html.rows_html(rows, selected, keep, after)),
        "run_spans": trace_html.spans_html(built.run_row),
        "paging": paging,
        "step_count": len(built.rows),
        "history": history,
        "derived": list(run.derived_runs.order_by("-id")[:20]),
        "active": run.status not in (RunStatus.COMPLETED, RunStatus.FAILED, RunStatus.CANCELLED),
        "now": now,
    }


def _page_of(
    rows: list[trace.Row], params: QueryDict, selected: str
) -> tuple[list[trace.Row], Paging]:
    query = params.get("q", "").strip()
    if query:
        rows = [r for r in rows if query.lower() in r.name.lower()]
    pages = max((len(rows) + TRACE_PAGE - 1) // TRACE_PAGE, 1)
    try:
        page = int(params.get("page", ""))
    except ValueError:
        # The page holding the selected step, else the latest steps (what a live run is at).
        index = next((i for i, r in enumerate(rows) if r.key == selected), len(rows) - 1)
        page = max(index, 0) // TRACE_PAGE + 1
    page = min(max(page, 1), pages)
    shown = rows[(page - 1) * TRACE_PAGE : page * TRACE_PAGE]
    first = (page - 1) * TRACE_PAGE + 1 if shown else 0
    return shown, Paging(page, pages, first, first + len(shown) - 1, len(rows), query)


def _keep(paging: Paging) -> str:
    """The query a row's link keeps (filter and page), ready to take `step=`."""
    kept = urlencode({k: v for k, v in (("q", paging.query), ("page", paging.page)) if v})
    return kept + "&" if paging.pages > 1 or paging.query else ""


def _panel(
    run: Run, built: trace.Trace, attempts: list[Attempt], selected: str, now: Any
) -> StepPanel | None:
    if not selected:
        return None
    step = run.steps.filter(hashed_id=selected).first()
    if step is None:
        return None
    row = next((r for r in built.rows if r.key == selected), None)
    failures = [a for a in attempts if a.step_hashed_id == selected]
    child = Run.objects.filter(invoked_by=step).only("id", "status").first()
    return build_panel(step, row, failures, built.origin, now, child)


@dataclass
class RunPanel:
    output: JsonBlock | None
    error: ErrorView | None
    function_attempts: list[AttemptView]
    events: list[tuple[Event, JsonBlock]]
    defers: list[DeferSummary]


def _run_panel(run: Run, built: trace.Trace, attempts: list[Attempt]) -> RunPanel:
    error = ErrorView.of(run.error) if run.error else None
    failures = [a for a in attempts if not a.step_hashed_id]
    # The function's own failed attempts (an error outside any step).
    function_attempts = [failed_attempt(a, built.origin, error) for a in failures]
    output = JsonBlock.of(run.output) if run.status == RunStatus.COMPLETED else None
    return RunPanel(output, error, function_attempts, _trigger_events(run), defers_of(run))


def _trigger_events(run: Run) -> list[tuple[Event, JsonBlock]]:
    ids = run.batch_event_ids or ([run.event_id] if run.event_id else [])
    events = {e.id: e for e in Event.objects.filter(pk__in=ids)}
    return [(events[i], JsonBlock.of(events[i].payload())) for i in ids if i in events]
