"""Hostile requests get a clear 4xx and store nothing: numbers and strings no column can hold,
values longer than their column, nesting 10,000 deep, dates that do not exist, NUL characters
in form fields and JSON bodies (each of these used to be a 500)."""

import json

import pytest
from django.test import Client, override_settings

from events.models import Event
from tests.integration.fake_sdk import FakeSdk, completed

OPEN = {"REQUIRE_LOGIN": False, "EVENT_KEYS": []}  # the dev server's console: open


def _raw_event(name_json: str = '"t/e"', **fields: str) -> bytes:
    extra = "".join(f', "{key}": {value}' for key, value in fields.items())
    return f'{{"name": {name_json}{extra}}}'.encode()


HOSTILE_EVENTS = {
    "number too large for a double": _raw_event(data='{"n": 1e400}'),
    "negative number too large": _raw_event(data='{"n": -1e400}'),
    "5,000-digit integer": _raw_event(data='{"n": ' + "9" * 5000 + "}"),
    "lone surrogate": _raw_event(data='{"s": "\\ud800"}'),
    "name over 255 characters": _raw_event(json.dumps("n" * 256)),
    "id over 255 characters": _raw_event(id=json.dumps("i" * 256)),
    "v over 64 characters": _raw_event(v=json.dumps("v" * 65)),
    "ts past 2^63": _raw_event(ts=str(2**63)),
    "nested 10,000 deep": _raw_event(data='{"d": ' + "[" * 10_000 + "]" * 10_000 + "}"),
}


@override_settings(**OPEN)
@pytest.mark.django_db
@pytest.mark.parametrize("body", HOSTILE_EVENTS.values(), ids=HOSTILE_EVENTS.keys())
def test_a_hostile_event_is_a_400_that_says_why_and_stores_nothing(body: bytes):
    answer = Client().post("/e/any-key", body, content_type="application/json")
    assert answer.status_code == 400, answer.content
    assert answer.json()["error"]
    assert not Event.objects.exists()


@override_settings(**OPEN)
@pytest.mark.django_db
@pytest.mark.parametrize("moment", ["2026-13-45T00:00", "0001-01-01T00:00", "2026-02-30T10:00"])
def test_a_date_that_does_not_exist_or_cannot_be_an_id_is_refused_not_a_500(moment: str):
    client = Client()
    answer = client.get("/api/runs", {"from": moment})
    assert answer.status_code == 400 and "`from` must be" in answer.json()["error"]
    for page in ("/runs/", "/events/"):
        shown = client.get(page, {"from": moment})
        assert shown.status_code == 200 and "must be" in shown.content.decode()


@override_settings(**OPEN)
@pytest.mark.django_db
def test_nul_in_a_form_field_is_a_400():
    answer = Client().post("/events/send/", {"name": "t/e", "data": '{"a": "x\x00y"}'})
    assert answer.status_code == 400
    assert "NUL" in answer.json()["error"]
    assert not Event.objects.exists()


@override_settings(**OPEN)
def test_nul_in_invoke_data_is_a_400_not_a_stored_event(fake_sdk: FakeSdk):
    fake_sdk.add_function("fake-invoked", [completed("ok")])
    fake_sdk.sync()
    answer = Client().post(
        f"/api/functions/{fake_sdk.function('fake-invoked').slug}/invoke",
        b'{"data": {"a": "x\\u0000y"}}',
        content_type="application/json",
    )
    assert answer.status_code in (400, 422), answer.content
    assert not Event.objects.exists()
