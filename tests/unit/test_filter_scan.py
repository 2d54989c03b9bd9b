"""The filters behind the run and event lists: the time-budgeted CEL scan, event filter input."""

from collections.abc import Iterator
from dataclasses import dataclass
from types import SimpleNamespace

import pytest

from events.selectors import EventSelector
from foundation import selection
from foundation.selection import SelectorError, scan_page


@dataclass
class Row:
    id: str
    keep: bool


def _rows(count: int, keep_every: int) -> list[Row]:
    return [Row(id=f"{i:04}", keep=i % keep_every == 0) for i in range(count)]


def test_a_full_page_ends_at_the_last_match_with_a_cursor():
    page, cursor = scan_page(_rows(100, 3), lambda r: r.keep, limit=5, budget=10)
    assert [r.id for r in page] == ["0000", "0003", "0006", "0009", "0012"]
    assert cursor == "0012"


def test_running_out_of_rows_gives_no_cursor():
    page, cursor = scan_page(_rows(10, 4), lambda r: r.keep, limit=5, budget=10)
    assert [r.id for r in page] == ["0000", "0004", "0008"] and cursor is None


def test_a_filter_matching_nothing_stops_at_the_budget_with_a_cursor_to_go_on(monkeypatch):
    """The scan's clock moves one second a row (the machine's speed decides nothing): with a
    20 s budget it stops after the row that takes it past, and reads no further."""
    now = [0.0]
    monkeypatch.setattr(selection, "time", SimpleNamespace(monotonic=lambda: now[0]))
    read: list[str] = []

    def slow_rows() -> Iterator[Row]:
        for row in _rows(1000, 1):
            now[0] += 1
            read.append(row.id)
            yield row

    page, cursor = scan_page(slow_rows(), lambda r: False, limit=5, budget=20)
    assert page == [] and cursor == "0020" and read[-1] == "0020"


def test_event_filters_refuse_a_bad_time_or_expression_with_a_message():
    with pytest.raises(SelectorError, match="`from` must be a date and time"):
        EventSelector.from_params({"from": "yesterday"})
    with pytest.raises(SelectorError):
        EventSelector.from_params({"if": "event.data.x >"})
    selector = EventSelector.from_params({"name": " app/x ", "to": "2026-01-31T14:00"})
    assert selector == EventSelector(name="app/x", until="2026-01-31T14:00")
