"""Every page of the console answers generated input with anything but a server error: each
route, GET and POST, with generated path values, query parameters and form fields (names the
pages read, plus noise; text with NUL, lone surrogates, huge numbers, impossible dates, CEL).
The API has its own fuzz (schemathesis over the OpenAPI schema, tests/e2e/test_api_fuzz.py)."""

import re
from collections.abc import Iterator

import pytest
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from runs import bulk
from runs.models import BulkKind
from runs.selectors import RunSelector
from tests.integration.drive import run_until_quiet, send_event
from tests.integration.fake_sdk import FakeSdk, completed, ops, step_run

# Not the console's pages: the APIs, Django's admin and auth views, the SDK endpoints.
NOT_PAGES = ("api/", "v1/", "admin/", "accounts/", "e/", "fn/")
FIELDS = [
    "name", "data", "kind", "status", "function", "app", "if", "from", "to", "cursor", "steps",
    "fragment", "input", "step", "action", "url", "payload", "id", "event", "confirm", "x",
]  # fmt: skip
NASTY = st.sampled_from(
    [
        "", "\x00", "\ud800", "9" * 5000, "1e400", "2026-13-45T00:00", "0001-01-01T00:00",
        "(" * 600, "event.data.x == 1", "[" * 300, '{"a": 1}', "[1, 2]", "Failed", "all",
        "<script>alert(1)</script>", "../../etc/passwd", "01NOSUCHRUN0000000000000000", "-1",
    ]
)  # fmt: skip
VALUES = st.one_of(NASTY, st.text(max_size=60), st.integers().map(str))


def _routes(patterns: list, prefix: str = "") -> Iterator[str]:
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from _routes(pattern.url_patterns, route)
        elif isinstance(pattern, URLPattern) and not route.startswith(NOT_PAGES):
            yield route


PAGES = sorted(set(_routes(get_resolver().url_patterns)))


def _path(route: str, draw: st.DrawFn, known: dict[str, str]) -> str:
    """The route with each parameter drawn: mostly a real one (so the page itself renders),
    otherwise anything."""

    def value(match: re.Match) -> str:
        real = [known[match.group(2)]] if match.group(2) in known else []
        if match.group(1) == "int":
            numbers = st.integers(min_value=-5, max_value=10**12).map(str)
            return draw(st.one_of(st.sampled_from(real), numbers) if real else numbers)
        anything = st.one_of(NASTY, st.text(min_size=1, max_size=30))
        text = draw(st.one_of(st.sampled_from(real * 3), anything) if real else anything)
        return text.replace("/", "_") or "x"

    return "/" + re.sub(r"<(?:(\w+):)?(\w+)>", value, route)


@pytest.fixture
def known(fake_sdk: FakeSdk) -> dict[str, str]:
    """A synced app, a function, a finished run with a step, its event, a bulk preview."""
    fake_sdk.add_function("fake-paged", [ops(step_run("one", {"n": 1})), completed("done")])
    app = fake_sdk.sync()
    [run] = send_event("test/go", {"x": 1})
    run_until_quiet()
    action = bulk.prepare(BulkKind.REPLAY, RunSelector(status="Completed"), "fuzz")
    return {
        "run_id": run.id,
        "event_id": run.event_id,
        "hashed_id": run.steps.get().hashed_id,
        "slug": fake_sdk.function("fake-paged").slug,
        "app_id": str(app.pk),
        "action_id": str(action.pk),
    }


@override_settings(REQUIRE_LOGIN=False)
@pytest.mark.parametrize("route", PAGES)
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_a_page_never_answers_generated_input_with_a_server_error(
    route: str, known: dict[str, str], data: st.DataObject
):
    client = Client(raise_request_exception=False)
    path = _path(route, data.draw, known)
    fields = data.draw(st.dictionaries(st.sampled_from(FIELDS), VALUES, max_size=5))
    method = data.draw(st.sampled_from(["get", "post"]))
    try:
        answer = getattr(client, method)(path, fields)
    except UnicodeEncodeError:  # a lone surrogate cannot even be sent over HTTP
        return
    assert answer.status_code < 500, (method, path, fields, answer.content[:300])
