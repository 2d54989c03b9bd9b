"""`POST /v1/cancellations` (Inngest's bulk-cancellation shape): the active runs of one
function, in a time range, whose event matches `if`, are cancelled as one audited bulk cancel;
the REST API's operator credential (the raw signing key) is needed."""

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client, override_settings

from console.models import AuditEntry
from foundation import clock
from runs import bulk, signing
from runs.models import BulkAction, Run
from runs.statuses import RunStatus
from tests.integration.drive import run_until_quiet, send_event
from tests.integration.fake_sdk import FakeSdk, ops, sleep

KEY = "signkey-prod-" + "0123456789abcdef" * 4
SECURED = {"REQUIRE_LOGIN": True, "SIGNING_KEY": KEY, "SIGNING_KEY_FALLBACK": ""}


def _sleeping_runs(fake_sdk: FakeSdk) -> dict[str, Run]:
    """Runs asleep for a day: user a twice and b once of `fake-nap`, a once of `fake-other`."""
    for slug in ("fake-nap", "fake-other"):
        fake_sdk.add_function(slug, lambda _: ops(sleep("nap", "1d")), event=f"test/{slug}")
    fake_sdk.sync()
    runs = {
        "a1": send_event("test/fake-nap", {"user": "a"})[0],
        "a2": send_event("test/fake-nap", {"user": "a"})[0],
        "b": send_event("test/fake-nap", {"user": "b"})[0],
        "other": send_event("test/fake-other", {"user": "a"})[0],
    }
    run_until_quiet()
    return runs


def _post(client: Client, body: dict[str, Any], key: str = KEY) -> Any:
    return client.post(
        "/v1/cancellations",
        data=body,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {key}",
    )


def _statuses(runs: dict[str, Run]) -> dict[str, str]:
    return {name: Run.objects.get(pk=run.pk).status for name, run in runs.items()}


@override_settings(**SECURED)
def test_matching_runs_of_the_function_are_cancelled_and_audited(fake_sdk: FakeSdk):
    runs = _sleeping_runs(fake_sdk)
    body = {
        "app_id": "fake",
        "function_id": "nap",  # the id as the app names it; our slug is fake-nap
        "started_after": (clock.now() - timedelta(hours=1)).isoformat(),
        "started_before": (clock.now() + timedelta(seconds=1)).isoformat(),
        "if": "event.data.user == 'a'",
    }
    answer = _post(Client(), body)
    assert answer.status_code == 200, answer.content
    reply = answer.json()
    assert {k: reply[k] for k in body} == body
    assert reply["id"] and reply["environment_id"]

    bulk.execute(int(reply["id"]))  # what the Celery task does with the id
    assert _statuses(runs) == {
        "a1": RunStatus.CANCELLED,
        "a2": RunStatus.CANCELLED,
        "b": RunStatus.SLEEPING,
        "other": RunStatus.SLEEPING,
    }
    entry = AuditEntry.objects.get(action="bulk.cancel")
    assert entry.target == reply["id"] and entry.detail["runs"] == 2


@override_settings(**SECURED)
def test_a_range_that_ended_before_the_runs_started_cancels_nothing(fake_sdk: FakeSdk):
    runs = _sleeping_runs(fake_sdk)
    long_ago = (clock.now() - timedelta(days=2)).isoformat()
    answer = _post(
        Client(), {"app_id": "fake", "function_id": "fake-nap", "started_before": long_ago}
    )
    assert answer.status_code == 200
    assert BulkAction.objects.get(pk=int(answer.json()["id"])).total == 0
    assert set(_statuses(runs).values()) == {RunStatus.SLEEPING}


@pytest.mark.django_db
@override_settings(**SECURED)
def test_unknown_functions_bad_filters_and_sdk_credentials_are_refused(fake_sdk: FakeSdk):
    _sleeping_runs(fake_sdk)
    client = Client()
    missing = _post(client, {"app_id": "fake", "function_id": "nope"})
    assert missing.status_code == 404 and "nope" in missing.json()["error"]
    bad_if = _post(client, {"app_id": "fake", "function_id": "nap", "if": "event.data.("})
    assert bad_if.status_code == 400
    bad_time = _post(client, {"app_id": "fake", "function_id": "nap", "started_after": "soon"})
    assert bad_time.status_code == 400
    # The hashed key every SDK sends is not an operator's credential.
    hashed = _post(client, {"app_id": "fake", "function_id": "nap"}, signing.hashed_key(KEY))
    assert hashed.status_code == 401
    assert not BulkAction.objects.exists() and not AuditEntry.objects.exists()
