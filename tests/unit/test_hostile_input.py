"""Fuzzing (hypothesis) of CEL expressions and registration triggers: bad input is refused
with a clear error naming it; nothing crashes."""

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from events.expressions import ExpressionError, compile_expression, evaluate
from runs.registration import RegistrationError, parse_registration
from tests.strategies import json_values

# Expressions built from CEL's own pieces, so many are valid and many almost are.
cel_pieces = st.sampled_from(
    ["event", "output", ".data", ".name", "==", "!=", ">", "&&", "||", "!", "(", ")", "[",
     "]", "'x'", '"y"', "1", "2.5", "true", "null", "size(", "has(", ".exists(e, ", "in", " "]
)  # fmt: skip
cel_sources = st.one_of(st.lists(cel_pieces, max_size=10).map("".join), st.text(max_size=30))


@settings(max_examples=400, deadline=None)
@given(source=cel_sources, event=json_values, output=json_values)
@example(source="event.data.n > 1", event={"data": {"n": 2**63}}, output=None)  # beyond int64
def test_cel_expressions_compile_or_are_refused_and_never_raise_when_run(source, event, output):
    try:
        compile_expression(source)
    except ExpressionError as exc:
        assert source[:10] in str(exc) or "invalid expression" in str(exc)
        return
    evaluate(source, {"event": event, "output": output})  # any result, never an exception


@settings(max_examples=200, deadline=None)
@given(expression=cel_sources)
def test_registration_refuses_a_bad_trigger_expression_by_name(expression: str):
    body = {
        "url": "http://127.0.0.1:3000/api/inngest",
        "appName": "fuzz",
        "functions": [
            {
                "id": "fuzz-f",
                "name": "f",
                "triggers": [{"event": "fuzz/e", "expression": expression}],
                "steps": {"step": {"id": "step", "runtime": {"url": "http://127.0.0.1:3000/x"}}},
            }
        ],
    }
    try:
        compile_expression(expression)
        valid = True
    except ExpressionError:
        valid = expression == ""  # an empty expression is no expression: the trigger matches
    if valid:
        parse_registration(body)
    else:
        with pytest.raises(RegistrationError, match="fuzz-f"):
            parse_registration(body)
