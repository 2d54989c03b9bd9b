"""/metrics after real runs of the official Python SDK: a run's end and a flow-control skip
appear in Prometheus text that prometheus-client's own parser reads."""

import uuid

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.harness import DevServer, SdkApp, wait_until


@pytest.fixture
def py(shared: dict) -> SdkApp:
    return shared["apps"]["py"]


def _sum(server: DevServer, name: str, **labels: str) -> float:
    """The sum of `name`'s samples whose labels include `labels` (every app, every status)."""
    response = server.http.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    total = 0.0
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            if sample.name == name and labels.items() <= sample.labels.items():
                total += sample.value
    return total


def test_runs_and_flow_control_skips_are_counted_by_function(server: DevServer, py: SdkApp):
    fn = py.slug("rate-limited")
    ended = _sum(server, "inngest_function_run_ended_total", fn=fn, status="Completed")
    skipped = _sum(server, "devserver_flow_control_decisions_total", fn=fn, kind="rate_limited")
    user = f"metrics-{uuid.uuid4().hex[:8]}"
    ids = server.send([{"name": py.event("rate"), "data": {"user": user}} for _ in range(2)])
    assert server.wait_run(ids[0], fn)["status"] == "Completed"

    def counted() -> bool:
        return (
            _sum(server, "inngest_function_run_ended_total", fn=fn, status="Completed") == ended + 1
            and _sum(server, "devserver_flow_control_decisions_total", fn=fn, kind="rate_limited")
            == skipped + 1
        )

    wait_until(counted, timeout=30, what="the run and the skip in /metrics", interval=0.5)
    assert _sum(server, "devserver_function_run_duration_seconds_count", fn=fn) >= 1
