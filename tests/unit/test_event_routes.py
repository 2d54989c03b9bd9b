"""runs/event_routes.py finds the functions an event concerns by its name: it must give exactly
what walking every function's triggers and cancelOn options gives, in the same order."""

from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from runs.event_routes import EventRoutes
from runs.models import Function
from runs.spec import parse_function
from runs.triggers import event_name_matches

URL = "http://127.0.0.1:3000/api/inngest"
NAMES = ["shop/order", "shop/order.paid", "shop/refund", "mail/sent", "inngest/function.finished"]
PATTERNS = [*NAMES, "shop/*", "shop/order.*", "*", "mail/*"]


def function(slug: str, triggers: list[str], cancels: list[str]) -> Function:
    spec = parse_function(
        {
            "id": slug,
            "triggers": [{"event": name} for name in triggers] or [{"cron": "0 * * * *"}],
            "cancel": [{"event": name} for name in cancels],
            "steps": {"step": {"runtime": {"url": URL}}},
        }
    )
    return Function(slug=slug, spec=spec)


def walked_triggers(functions: list[Function], name: str) -> list[Function]:
    return [
        f
        for f in functions
        if any(t.event and event_name_matches(t.event, name) for t in f.spec.triggers)
    ]


def walked_cancels(functions: list[Function], name: str) -> list[tuple]:
    return [(f, c) for f in functions for c in f.spec.cancel if c.event == name]


def test_an_exact_name_a_wildcard_and_a_cron_only_function():
    paid = function("paid", ["shop/order.paid"], [])
    shop = function("shop", ["shop/*", "shop/order.paid"], ["shop/refund"])
    nightly = function("nightly", [], ["shop/*"])
    routes = EventRoutes([paid, shop, nightly])
    assert routes.triggered_by("shop/order.paid") == [paid, shop]  # shop once, for two triggers
    assert routes.triggered_by("shop/refund") == [shop]
    assert routes.triggered_by("mail/sent") == []
    assert routes.cancels_on("shop/refund") == [(shop, shop.spec.cancel[0])]
    assert routes.cancels_on("shop/order") == []  # a cancelOn name is exact: no wildcard


@hypothesis_settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.lists(st.sampled_from(PATTERNS), max_size=3),
            st.lists(st.sampled_from(PATTERNS), max_size=2),
        ),
        max_size=6,
    ),
    st.lists(st.sampled_from(NAMES + ["other/thing"]), min_size=1, max_size=8),
)
def test_routes_agree_with_walking_every_function(shapes, names):
    functions = [function(f"f{i}", t, c) for i, (t, c) in enumerate(shapes)]
    routes = EventRoutes(functions)
    for name in names:  # asked more than once: a kept answer must stay right
        assert routes.triggered_by(name) == walked_triggers(functions, name)
        assert routes.cancels_on(name) == walked_cancels(functions, name)
