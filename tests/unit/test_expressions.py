"""CEL as triggers, keys and filters use it: compile errors named, matching, runtime errors as
no match, JSON values both ways, compiled once."""

import pytest

from events.expressions import ExpressionError, compile_expression, evaluate, matches


def event(**data: object) -> dict:
    return {"event": {"name": "app/user.created", "data": data}}


@pytest.mark.parametrize("source", ["event.data.x ==", "event.data.x == 'a", "(", "", "a b"])
def test_an_expression_that_does_not_compile_names_itself(source):
    with pytest.raises(ExpressionError, match="invalid expression"):
        compile_expression(source)
    with pytest.raises(ExpressionError) as caught:
        compile_expression(source)
    assert repr(source) in str(caught.value)


def test_a_compiled_expression_is_cached():
    source = "event.data.plan == 'pro' && event.data.seats > 3"
    assert compile_expression(source) is compile_expression(source)


def test_a_bad_expression_is_refused_every_time_not_cached_as_valid():
    for _ in range(2):
        with pytest.raises(ExpressionError):
            compile_expression("event.data ==")


@pytest.mark.parametrize(
    ("source", "data", "expected"),
    [
        ("event.data.plan == 'pro'", {"plan": "pro"}, True),
        ("event.data.plan == 'pro'", {"plan": "free"}, False),
        ("event.data.seats > 3 && event.data.plan != 'free'", {"seats": 4, "plan": "pro"}, True),
        ("'admin' in event.data.roles", {"roles": ["user", "admin"]}, True),
        ("size(event.data.items) == 2", {"items": [1, 2]}, True),
        ("has(event.data.email)", {}, False),
        ("event.data.x == null", {"x": None}, True),
        ("event.name.startsWith('app/user.')", {}, True),
        ("event.data.price > 9", {"price": 9.5}, True),
    ],
)
def test_matching_an_event(source, data, expected):
    assert matches(source, event(**data)) is expected


def test_no_expression_matches_everything():
    assert matches(None, event()) and matches("", event())


@pytest.mark.parametrize(
    "source",
    [
        "event.data.missing.deeper == 1",  # missing field
        "event.data.n / 0 == 1",  # division by zero
        "event.data.name + 1 == 2",  # bad types
        "nope(event) == 1",  # unknown function
        "unknown.x == 1",  # unknown variable
    ],
)
def test_a_runtime_error_is_no_match_and_evaluates_to_none(source):
    variables = event(n=1, name="x")
    assert evaluate(source, variables) is None
    assert matches(source, variables) is False


@pytest.mark.parametrize("source", ["1", "'true'", "event.data", "[true]"])
def test_only_true_matches_not_truthy_values(source):
    assert matches(source, event(a=1)) is False


def test_results_come_back_as_plain_python_values():
    variables = event(n=3, f=1.5, s="x", items=[1, "a", True], m={"k": [2]})
    assert evaluate("event.data.n", variables) == 3
    assert type(evaluate("event.data.n", variables)) is int
    assert type(evaluate("event.data.f", variables)) is float
    assert type(evaluate("event.data.s", variables)) is str
    assert evaluate("event.data.items", variables) == [1, "a", True]
    assert evaluate("event.data.m", variables) == {"k": [2]}
    assert evaluate("event.data.n > 1", variables) is True


def test_an_integer_beyond_64_bits_is_compared_as_a_double_instead_of_failing():
    assert matches("event.data.n > 1", event(n=2**70)) is True
    assert matches("event.data.other == 'x'", event(n=-(2**70), other="x")) is True


def test_waits_and_cancels_see_the_incoming_event_as_async():
    variables = {"event": {"data": {"id": 7}}, "async": {"data": {"id": 7}}}
    assert matches("event.data.id == async.data.id", variables)
    variables["async"] = {"data": {"id": 8}}
    assert not matches("event.data.id == async.data.id", variables)


def test_an_expression_nested_too_deep_is_refused_when_compiled_and_matches_nothing():
    """Nested 150 deep it used to compile and then recurse past Python's limit when evaluated;
    in the ingest transaction that refused every event of this name."""
    source = "(" * 150 + "event.data.x == 1" + ")" * 150
    with pytest.raises(ExpressionError, match="nests 150 levels deep, over the limit of 32"):
        compile_expression(source)
    assert matches(source, event(x=1)) is False
