"""Flow-control keys: a CEL expression over the event, reduced to the string that names a
rate-limit window, a debounce, a batch, a singleton or a concurrency slot."""

import pytest

from flowcontrol.keys import key_for


def payload(**data: object) -> dict:
    return {"name": "app/order.created", "data": data}


@pytest.mark.parametrize("expression", [None, ""])
def test_no_key_expression_is_the_empty_key(expression):
    assert key_for(expression, payload(user="u1")) == ""


def test_a_string_value_is_the_key_itself_without_json_quotes():
    assert key_for("event.data.user", payload(user="u-1")) == "u-1"


@pytest.mark.parametrize(
    ("value", "key"),
    [(42, "42"), (1.5, "1.5"), (True, "true"), ([1, "a"], '[1, "a"]'), (None, "null")],
)
def test_other_values_are_their_json_text(value, key):
    assert key_for("event.data.v", payload(v=value)) == key


def test_an_object_key_does_not_depend_on_field_order():
    first = key_for("event.data.v", payload(v={"b": 1, "a": 2}))
    second = key_for("event.data.v", payload(v={"a": 2, "b": 1}))
    assert first == second == '{"a": 2, "b": 1}'


def test_events_missing_the_key_field_share_one_key():
    assert key_for("event.data.user", payload()) == key_for("event.data.user", payload(x=1))
    assert key_for("event.data.user", payload()) == "null"


def test_a_computed_key_combines_fields():
    expression = "event.data.tenant + ':' + event.data.user"
    assert key_for(expression, payload(tenant="t1", user="u1")) == "t1:u1"


def test_different_values_give_different_keys():
    keys = {key_for("event.data.user", payload(user=u)) for u in ("a", "b", "c")}
    assert len(keys) == 3


@pytest.mark.parametrize(
    "expression",
    ["timestamp(event.data.at)", "duration('90s')", "b'raw'"],
    ids=["timestamp", "duration", "bytes"],
)
def test_a_key_that_is_not_a_json_value_still_gives_a_string(expression):
    """CEL can build timestamps, durations and bytes: a key must be a string, never a
    TypeError inside the ingest transaction (that would refuse the events)."""
    key = key_for(expression, payload(at="2030-01-02T03:04:05Z"))
    assert isinstance(key, str) and key
