"""Fuzzing (hypothesis) of event bodies: ingest answers every body with 200 or a clear 400, and a
refused body stores nothing."""

import json

import pytest
from django.test import Client
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from events.models import Event
from tests.harness import EVENT_KEY
from tests.strategies import json_values

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


@pytest.mark.django_db
@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(body=bodies)
@example(body='{"name": "a", "data": {"x": Infinity}}')  # Python's json writes it; not JSON
def test_ingest_answers_every_body_with_200_or_a_clear_400(client: Client, body: str):
    before = set(Event.objects.values_list("id", flat=True))
    response = client.post(f"/e/{EVENT_KEY}", data=body, content_type="application/json")
    assert response.status_code in (200, 400), response.content
    answer = response.json()
    stored = set(Event.objects.values_list("id", flat=True))
    if response.status_code == 400:
        assert answer["error"] and stored == before
    else:  # a sender id seen in an earlier example answers with that example's event
        assert stored == before | set(answer["ids"])
