"""Run and event filters read from URLs and forms: checked values, names that round-trip, and
the CEL part matched against rows in memory (no database here)."""

from datetime import UTC, datetime, timedelta

import pytest

from events.models import Event
from events.selectors import EventSelector
from foundation.selection import SelectorError, parse_time
from runs.models import Run
from runs.selectors import RunSelector


def test_run_filters_read_the_url_names():
    selector = RunSelector.from_params(
        {
            "status": "Failed",
            "app": " shop ",
            "function": "shop-charge",
            "from": "2026-01-01T00:00",
            "to": "2026-01-02T00:00",
            "if": "event.data.amount > 10",
        }
    )
    assert selector == RunSelector(
        status="Failed",
        app="shop",
        function="shop-charge",
        since="2026-01-01T00:00",
        until="2026-01-02T00:00",
        expression="event.data.amount > 10",
    )


def test_run_filters_round_trip_through_url_params_leaving_blanks_out():
    selector = RunSelector(status="Completed", since="2026-01-01T00:00", expression="true")
    params = selector.as_params()
    assert params == {"status": "Completed", "from": "2026-01-01T00:00", "if": "true"}
    assert RunSelector.from_params(params) == selector


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"status": "Done"}, "unknown status 'Done'"),
        ({"status": "completed"}, "unknown status 'completed'"),
        ({"from": "last week"}, "`from` must be a date and time"),
        ({"to": "2026-13-01"}, "`to` must be a date and time"),
        ({"if": "output.x =="}, "invalid expression"),
    ],
)
def test_unusable_run_filters_are_refused_with_a_message(params, message):
    with pytest.raises(SelectorError, match=message):
        RunSelector.from_params(params)


def _run(data: dict, output: object) -> Run:
    event = Event(id="01EVENT", name="shop/order", data=data, user={}, ts=0)
    return Run(id="01RUN", event=event, output=output)


def test_a_run_expression_sees_the_trigger_event_and_the_output():
    selector = RunSelector(expression="event.data.amount > 10 && output.ok == true")
    assert selector.matches(_run({"amount": 12}, {"ok": True}))
    assert not selector.matches(_run({"amount": 12}, {"ok": False}))
    assert not selector.matches(_run({"amount": 5}, {"ok": True}))


def test_a_run_expression_that_errors_on_a_run_does_not_match_it():
    selector = RunSelector(expression="output.items[3] == 1")
    assert not selector.matches(_run({}, None))


def test_a_run_without_an_expression_always_matches():
    assert RunSelector(status="Failed").matches(_run({}, None))


def test_an_event_expression_sees_the_event_as_the_sdks_do():
    selector = EventSelector(expression="event.name == 'shop/order' && event.data.n == 2")
    assert selector.matches(Event(id="01E", name="shop/order", data={"n": 2}, user={}, ts=0))
    assert not selector.matches(Event(id="01E", name="shop/order", data={"n": 3}, user={}, ts=0))


def test_a_naive_filter_time_is_taken_in_the_servers_time_zone_utc():
    assert parse_time("from", "2026-01-31T14:00") == datetime(2026, 1, 31, 14, tzinfo=UTC)


def test_a_filter_time_with_an_offset_keeps_it():
    parsed = parse_time("to", "2026-01-31T14:00:00+02:00")
    assert parsed == datetime(2026, 1, 31, 12, tzinfo=UTC)
    assert parsed.utcoffset() == timedelta(hours=2)


def test_a_blank_filter_time_is_no_bound():
    assert parse_time("from", "") is None


def test_runs_chosen_one_by_one_round_trip_as_ids():
    selector = RunSelector.from_params({"ids": " 01AAA, 01BBB ,,"})
    assert selector.chosen_ids() == ["01AAA", "01BBB"]
    assert RunSelector.from_params(selector.as_params()).chosen_ids() == ["01AAA", "01BBB"]
    assert RunSelector().with_run_ids(["01AAA"]).as_params() == {"ids": "01AAA"}


@pytest.mark.parametrize(
    ("ids", "message"),
    [("01AAA,'; drop", "is not a run id"), (",".join(["01A"] * 1001), "at most 1000")],
)
def test_unusable_chosen_runs_are_refused(ids, message):
    with pytest.raises(SelectorError, match=message):
        RunSelector.from_params({"ids": ids})


@pytest.mark.parametrize(
    ("params", "words"),
    [
        ({}, "all runs"),
        (
            {"status": "Failed", "function": "shop-checkout", "from": "2026-11-30T10:00"},
            "status is Failed, function shop-checkout, started after 2026-11-30 10:00",
        ),
        (
            {"ids": "01AAA,01BBB", "to": "2026-11-30T10:00:05+02:00", "if": "output.ok"},
            "2 chosen runs, started before 2026-11-30 10:00:05 +0200, matching output.ok",
        ),
        ({"app": "shop", "ids": "01AAA"}, "1 chosen run, app shop"),
    ],
)
def test_a_selector_is_said_in_words_never_as_a_dict(params, words):
    assert RunSelector.from_params(params).in_words() == words
    assert RunSelector.from_stored(params).in_words() == words
