"""Fuzzing (hypothesis) of what outsiders control: event bodies and CEL expressions. Bad input
is refused with a clear error and stores nothing; nothing crashes."""

import json

import pytest
from django.test import Client
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from events.expressions import ExpressionError, compile_expression, evaluate
from events.models import Event
from runs.registration import RegistrationError, parse_registration

from .harness import EVENT_KEY

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)
event_like = st.fixed_dictionaries(
    {},
    optional={
        "name": st.one_of(st.text(max_size=30), json_values),
        "data": json_values,
        "user": json_values,
        "id": json_values,
        "ts": json_values,
        "v": json_values,
    },
)
bodies = st.one_of(
    event_like.map(json.dumps),
    st.lists(event_like, max_size=3).map(json.dumps),
    json_values.map(json.dumps),
    st.text(max_size=60),
)
# Expressions built from CEL's own pieces, so many are valid and many almost are.
cel_pieces = st.sampled_from(
    ["event", "output", ".data", ".name", "==", "!=", ">", "&&", "||", "!", "(", ")", "[",
     "]", "'x'", '"y"', "1", "2.5", "true", "null", "size(", "has(", ".exists(e, ", "in", " "]
)  # fmt: skip
cel_sources = st.one_of(st.lists(cel_pieces, max_size=10).map("".join), st.text(max_size=30))


@pytest.mark.django_db
@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(body=bodies)
@example(body='{"name": "a", "data": {"x": Infinity}}')  # Python's json writes it; not JSON
def test_ingest_answers_every_body_with_200_or_a_clear_400(client: Client, body: str):
    before = Event.objects.count()
    response = client.post(f"/e/{EVENT_KEY}", data=body, content_type="application/json")
    assert response.status_code in (200, 400), response.content
    answer = response.json()
    if response.status_code == 400:
        assert answer["error"] and Event.objects.count() == before
    else:
        assert Event.objects.count() == before + len(answer["ids"])


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
