"""No user's CEL expression can take the server's time or memory: limits that hold when it is
compiled (length, nesting, comprehensions) and inside one evaluation (a time budget checked at
every node, a cap on values built by `+`), wherever expressions run; a refused filter is a 400
that names the limit."""

import pytest
from django.test import Client, override_settings

from events import expressions
from events.expressions import (
    MAX_BUILT_LENGTH,
    ExpressionError,
    ExpressionTooCostly,
    compile_expression,
    evaluate,
    matches,
)
from foundation.selection import SelectorError, scan_page
from runs.models import Run
from runs.statuses import RunStatus
from tests.integration.drive import run_until_quiet, send_event
from tests.integration.fake_sdk import FakeSdk, completed, ops, wait_for_event

NUMBERS = "[" + ",".join(str(n % 10) for n in range(450)) + "]"
# Two comprehensions, one inside the other, over 450 items each: 200,000 evaluations.
SLOW = f"{NUMBERS}.map(a, {NUMBERS}.map(b, a + b)).size() > 0"
# Each `+` makes the string longer: past the cap long before memory is at risk.
TEN_TIMES = " + ".join(["s"] * 10)
GROWING = f"['{'x' * 1000}'].map(s, [{TEN_TIMES}].map(s, {TEN_TIMES} + {TEN_TIMES})).size() > 0"
VARIABLES = {"event": {"name": "t/e", "data": {}}}


@pytest.mark.parametrize(
    ("source", "limit"),
    [
        ("event.data.x == '" + "y" * 3000 + "'", "characters long, over the limit of 2,048"),
        ("(" * 600 + "1" + ")" * 600 + " == 1", "nests 600 levels deep, over the limit of 32"),
        (" + ".join(["1"] * 300) + " > 0", "more than 120 levels once parsed"),
        ("[1].map(a, [1].map(b, [1].map(c, c))).size() > 0", "nests 3 comprehensions"),
        (
            "[1].all(a, true) && [1].all(a, true) && [1].all(a, true) && [1].all(a, true)"
            " && [1].all(a, true)",
            "has 5 comprehensions",
        ),
    ],
    ids=[
        "too long",
        "nested too deep",
        "a chain too long",
        "comprehensions nested",
        "too many comprehensions",
    ],
)
def test_an_expression_past_a_compile_limit_is_refused_naming_the_limit(source: str, limit: str):
    with pytest.raises(ExpressionError, match=limit):
        compile_expression(source)
    assert matches(source, VARIABLES) is False  # in the engine: matches nothing, never raises


def test_a_slow_evaluation_is_stopped_inside_one_evaluation():
    compile_expression(SLOW)  # within every compile limit
    with pytest.raises(ExpressionTooCostly, match="took longer than 50 ms"):
        evaluate(SLOW, VARIABLES, refuse_costly=True)
    assert evaluate(SLOW, VARIABLES) is None  # in the engine: no value, no exception


def test_a_value_built_past_the_cap_is_refused(monkeypatch: pytest.MonkeyPatch):
    """Only the cap can stop it: its time budget is a minute, not the 50 ms a stalled
    machine could use up first."""
    monkeypatch.setattr(expressions, "EVALUATION_SECONDS", 60.0)
    with pytest.raises(ExpressionTooCostly, match=f"longer than {MAX_BUILT_LENGTH:,}"):
        evaluate(GROWING, VARIABLES, refuse_costly=True)


@pytest.fixture
def some_runs(fake_sdk: FakeSdk) -> list[Run]:
    fake_sdk.add_function("fake-listed", lambda _: completed("ok"))
    fake_sdk.sync()
    runs = [run for n in range(3) for run in send_event("test/go", {"n": n})]
    run_until_quiet()
    return runs


@override_settings(REQUIRE_LOGIN=False)
@pytest.mark.parametrize(("source", "limit"), [(SLOW, "took longer"), (GROWING, "longer than")])
def test_a_costly_filter_is_a_400_from_the_api_and_a_message_on_the_pages(
    some_runs: list[Run], source: str, limit: str
):
    client = Client()
    answer = client.get("/api/runs", {"if": source})
    assert answer.status_code == 400 and limit in answer.json()["error"]
    page = client.get("/runs/", {"if": source})
    assert page.status_code == 200 and limit in page.content.decode()
    events = client.get("/events/", {"if": source})
    assert events.status_code == 200 and limit in events.content.decode()


@override_settings(REQUIRE_LOGIN=False)
def test_a_bulk_preview_with_a_costly_filter_is_refused(some_runs: list[Run]):
    answer = Client().post(
        "/api/bulk",
        {"kind": "replay", "status": "Completed", "expression": SLOW},
        content_type="application/json",
    )
    assert answer.status_code == 400 and "took longer" in answer.json()["error"]


@override_settings(REQUIRE_LOGIN=False)
def test_a_filter_nested_600_deep_is_a_400_not_a_server_error(some_runs: list[Run]):
    source = "(" * 600 + "true" + ")" * 600
    answer = Client().get("/api/runs", {"if": source})
    assert answer.status_code == 400 and "over the limit of 32" in answer.json()["error"]


def test_a_wait_for_event_with_a_bad_if_fails_the_run_instead_of_matching_nothing(
    fake_sdk: FakeSdk,
):
    bad_if = "(" * 40 + "async.data.ok" + ")" * 40
    fake_sdk.add_function("fake-waits", [ops(wait_for_event("w", "test/later", "1h", if_=bad_if))])
    fake_sdk.sync()
    [run] = send_event("test/go")
    run_until_quiet()

    run.refresh_from_db()
    assert run.status == RunStatus.FAILED
    assert run.error["name"] == "InvalidWaitForEvent" and "over the limit" in run.error["message"]
    assert not run.steps.exists()


def test_compiled_expressions_are_kept_within_a_bounded_size():
    """Users choose the expressions: the cache of compiled programs is bounded by the source
    characters it holds, not by a count (a 2,000-character program holds about 1.4 MiB)."""
    for n in range(200):
        compile_expression(f"event.data.n == {n} || event.data.s == '{'x' * 1900}'")
    assert expressions._cached_chars <= expressions.CACHED_SOURCE_CHARS
    assert len(expressions._compiled) < 100


def test_a_filter_that_stops_a_scan_leaves_no_database_cursor_open():
    """A half-read cursor keeps SQLite's read snapshot on that thread's connection; its next
    write then failed at once with "database is locked" (ingest answered 500)."""
    closed = []

    def rows():
        try:
            yield from (_Row(str(n)) for n in range(1000))
        finally:
            closed.append(True)

    def refuse(row: _Row) -> bool:
        raise SelectorError("refused")

    with pytest.raises(SelectorError):
        scan_page(rows(), refuse, limit=10, budget=1.0)
    assert closed == [True]
    scan_page(rows(), lambda row: True, limit=10, budget=1.0)  # stops early: closed too
    assert closed == [True, True]


class _Row:
    def __init__(self, row_id: str) -> None:
        self.id = row_id
