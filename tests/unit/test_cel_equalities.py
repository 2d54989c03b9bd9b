"""events/cel_equalities.py answers exactly as celpy's interpreter does, or leaves the answer to
it: each expression is evaluated with the piece on and off (DEVSERVER_FAST_CEL_EQUALITIES) over
chosen and generated payloads, and the two results must be equal, value and type."""

from typing import Any

import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from events.cel_equalities import decide, equalities_of
from events.expressions import compile_expression, evaluate
from tests.strategies import json_values

EXPRESSIONS = [
    'event.data.plan == "pro"',
    '"pro" == event.data.plan',
    "event.data.n == 3",
    "event.data.n == -3",
    "event.data.n == 0x10",
    "event.data.x == 1.5",
    "event.data.ok == true",
    "event.data.ok == false",
    "event.data.x == null",
    'event.data.a.b == "deep"',
    'event.name == "shop/order.placed" && event.data.n == 3',
    'event.data.plan == "pro" && event.data.ok == true && event.data.n == 1',
    'event.data.plan == "caf\\u00e9"',
    "event.data.plan == r'raw\\n'",
    'async.data.id == "a" && event.data.id == "a"',
    # Not the shape: always the interpreter.
    'event.data.plan != "pro"',
    'event.data.plan == "pro" || event.data.n == 3',
    "event.data.n == 3u",
    "event.data.n > 3",
    "event.data.x == [1]",
    'event.data["plan"] == "pro"',
    "event.data.n == event.data.m",
    "!(event.data.ok == true)",
]

PAYLOADS: list[dict[str, Any]] = [
    {"plan": "pro", "n": 3, "ok": True, "x": 1.5, "a": {"b": "deep"}, "id": "a"},
    {"plan": "free", "n": 4, "ok": False, "x": None, "a": {"b": 1}},
    {"plan": "café", "n": 16, "x": 1},
    {"plan": "raw\\n", "n": True, "ok": 1, "x": "1.5", "a": "not a map"},
    {"plan": None, "n": 3.0, "ok": "true", "a": None},
    {"n": 2**70, "ok": None},
    {"n": -3, "plan": ["pro"]},
    {},
]


def _both(source: str, variables: dict[str, Any], settings: Any) -> tuple[Any, Any]:
    settings.FAST_CEL_EQUALITIES = True
    fast = evaluate(source, variables)
    settings.FAST_CEL_EQUALITIES = False
    interpreted = evaluate(source, variables)
    return fast, interpreted


def _variables(data: Any) -> dict[str, Any]:
    event = {"name": "shop/order.placed", "data": data}
    return {"event": event, "async": event}


@pytest.mark.parametrize("source", EXPRESSIONS)
def test_the_piece_answers_as_the_interpreter(source: str, settings: Any) -> None:
    for data in PAYLOADS:
        fast, interpreted = _both(source, _variables(data), settings)
        assert (fast, type(fast)) == (interpreted, type(interpreted)), (source, data)


@hypothesis_settings(max_examples=150, deadline=None)
@given(
    source=st.sampled_from(EXPRESSIONS),
    data=st.dictionaries(
        st.sampled_from(["plan", "n", "ok", "x", "a", "id"]), json_values, max_size=6
    ),
)
def test_generated_payloads_get_the_interpreters_answer(source: str, data: Any) -> None:
    from django.conf import settings

    before = settings.FAST_CEL_EQUALITIES
    try:
        settings.FAST_CEL_EQUALITIES = True
        fast = evaluate(source, _variables(data))
        settings.FAST_CEL_EQUALITIES = False
        interpreted = evaluate(source, _variables(data))
    finally:
        settings.FAST_CEL_EQUALITIES = before
    assert (fast, type(fast)) == (interpreted, type(interpreted)), (source, data)


def test_the_common_shapes_are_decided_without_the_interpreter() -> None:
    """The piece must not silently stop applying: the shapes it exists for are recognized."""
    recognized = [s for s in EXPRESSIONS if compile_expression(s).equalities is not None]
    assert recognized == EXPRESSIONS[:15]
    equalities = compile_expression('event.data.plan == "pro" && event.data.n == 3').equalities
    assert equalities is not None
    assert decide(equalities, _variables({"plan": "pro", "n": 3})) is True
    assert decide(equalities, _variables({"plan": "pro", "n": 4})) is False
    assert decide(equalities, _variables({"plan": "pro"})) is None  # missing: the interpreter


def test_a_tree_of_another_shape_has_no_equalities() -> None:
    program = compile_expression("size(event.data.items) == 2")
    assert program.equalities is None
    assert equalities_of(program.ast) is None
