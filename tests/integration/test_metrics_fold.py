"""/metrics folds history rows into shared tallies: a run's start, end, duration, its step
attempts and failures appear once each (however often it is scraped), only after the rows
settled, and staging lets Prometheus in with DEVSERVER_METRICS_TOKEN alone."""

from typing import Any

import pytest
from django.test import Client
from prometheus_client.parser import text_string_to_metric_families

from console.metrics.exposition import forget
from console.metrics.fold import SETTLE
from tests.integration.conftest import TimeTravel
from tests.integration.drive import run_until_quiet, send_event
from tests.integration.fake_sdk import FakeSdk, completed, ops, sleep, step_error, step_run


def _scrape(client: Client, **headers: str) -> dict[tuple[str, tuple], float]:
    forget()
    response = client.get("/metrics", headers=headers)
    assert response.status_code == 200, response.content
    samples: dict[tuple[str, tuple], float] = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def _value(samples: dict, name: str, **labels: str) -> Any:
    return samples.get((name, tuple(sorted(labels.items()))))


def _flaky(fake_sdk: FakeSdk) -> str:
    fake_sdk.add_function(
        "flaky",
        [ops(step_error("s", "try again")), ops(step_run("s", "ok")), completed("done")],
        retries=3,
    )
    fake_sdk.sync()
    return fake_sdk.function("flaky").slug


def test_a_run_and_its_retried_step_are_counted_once_after_settling(
    fake_sdk: FakeSdk, time_travel: TimeTravel
):
    slug = _flaky(fake_sdk)
    send_event("test/go")
    run_until_quiet()
    client = Client()
    fresh = _scrape(client)
    assert _value(fresh, "inngest_function_run_ended_total", app="fake", fn=slug,
                  status="Completed") is None  # fmt: skip

    time_travel.advance(SETTLE.total_seconds() + 1)
    for samples in (_scrape(client), _scrape(client)):  # a second scrape adds nothing
        fn = {"app": "fake", "fn": slug}
        assert _value(samples, "inngest_function_run_scheduled_total", **fn) == 1
        assert _value(samples, "inngest_function_run_started_total", **fn) == 1
        assert _value(samples, "inngest_function_run_ended_total", **fn, status="Completed") == 1
        assert _value(samples, "inngest_sdk_req_ended_total", **fn, status="success") == 1
        assert _value(samples, "inngest_sdk_req_ended_total", **fn, status="errored") == 1
        assert _value(samples, "devserver_step_attempt_failed_total", **fn, error="app") == 1
        duration = "devserver_function_run_duration_seconds_count"
        assert _value(samples, duration, **fn, status="Completed") == 1
        bucket = "devserver_function_run_duration_seconds_bucket"
        assert _value(samples, bucket, **fn, status="Completed", le="+Inf") == 1
        assert _value(samples, "inngest_queue_depth") == 0


def test_a_sleeping_run_is_an_active_run_and_its_item_is_queued(
    fake_sdk: FakeSdk, time_travel: TimeTravel
):
    fake_sdk.add_function("napper", [ops(sleep("nap", "1h"))])
    fake_sdk.sync()
    slug = fake_sdk.function("napper").slug
    send_event("test/go")
    run_until_quiet()
    samples = _scrape(Client())
    fn = {"app": "fake", "fn": slug}
    assert _value(samples, "devserver_function_runs_active", **fn, status="Sleeping") == 1
    assert _value(samples, "inngest_queue_depth") == 1
    assert _value(samples, "devserver_queue_backlog") == 0  # due in an hour, not now


@pytest.mark.django_db
def test_staging_metrics_need_the_metrics_token_or_the_console_auth(settings: Any):
    settings.REQUIRE_LOGIN = True
    settings.METRICS_TOKEN = "scrape-secret"
    client = Client()
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    ok = client.get("/metrics", headers={"Authorization": "Bearer scrape-secret"})
    assert ok.status_code == 200 and b"inngest_queue_depth" in ok.content
    # The metrics token opens nothing else.
    other = client.get("/api/runs", headers={"Authorization": "Bearer scrape-secret"})
    assert other.status_code == 401
