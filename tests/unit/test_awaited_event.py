"""Time travel's "send the awaited event" form, prefilled from the wait's `if` expression
(runs/awaited_event.py): each `async.data.<path> == <value>` that must hold gives that path
the value, a literal or read from the run's triggering event; what cannot be derived is left
for the user, and the prefill says it is incomplete."""

import pytest

from events.expressions import matches
from runs.awaited_event import awaited_event

ORIGINAL = {"name": "shop/order.placed", "data": {"orderId": "o-7", "user": {"id": 42}}}


@pytest.mark.parametrize(
    ("expression", "data"),
    [
        ("async.data.orderId == event.data.orderId", {"orderId": "o-7"}),
        ("event.data.orderId == async.data.orderId", {"orderId": "o-7"}),  # the SDKs' `match`
        ('async.data.plan == "pro"', {"plan": "pro"}),
        (
            'async.data.orderId == event.data.orderId && (async.data.plan == "pro" && '
            "async.data.seats == 3)",
            {"orderId": "o-7", "plan": "pro", "seats": 3},
        ),
        ('async.data.user["id"] == event.data.user.id', {"user": {"id": 42}}),
        ("async.data.paid == true && async.data.note == null", {"paid": True, "note": None}),
        ("async.data.ids == [event.data.orderId, 'x']", {"ids": ["o-7", "x"]}),
    ],
)
def test_equalities_that_must_hold_fill_the_data_and_it_matches(expression, data):
    awaited = awaited_event("shop/order.paid", expression, ORIGINAL)
    assert awaited.data == data and awaited.complete
    incoming = {"name": "shop/order.paid", "data": awaited.data}
    assert matches(expression, {"event": ORIGINAL, "async": incoming})


@pytest.mark.parametrize(
    ("expression", "data"),
    [
        ('async.data.plan == "pro" && async.data.total > 10', {"plan": "pro"}),
        ("async.data.a == 1 || async.data.b == 2", {}),  # neither term is required alone
        ("!(async.data.a == 1)", {}),
        ("async.data.missing == event.data.nope", {}),  # the event has no such field
        ("size(async.data.items) == 2", {}),
        ("async.name == 'shop/order.paid'", {}),  # not the data
        ("async.data.a == async.data.b", {}),  # nothing to read the value from
    ],
)
def test_what_cannot_be_derived_is_left_for_the_user(expression, data):
    awaited = awaited_event("shop/order.paid", expression, ORIGINAL)
    assert awaited.data == data and not awaited.complete


def test_a_wait_without_an_expression_needs_no_data():
    awaited = awaited_event("shop/order.paid", "", ORIGINAL)
    assert awaited.data == {} and awaited.complete and awaited.name == "shop/order.paid"


def test_an_expression_that_does_not_compile_prefills_nothing():
    awaited = awaited_event("shop/order.paid", "async.data.a ==", ORIGINAL)
    assert awaited.data == {} and not awaited.complete
