"""Every call to the app carries the run's W3C trace context and Inngest's request and job ids
(runs/tracing.py): one trace id per run, a new span id and request id per call, the queue item
as the job id, and `tracestate` naming the app and function as the JS SDK parses it."""

import re

from runs.tracing import parse_traceparent, trace_id
from tests.integration.drive import run_until_quiet, send_event
from tests.integration.fake_sdk import FakeSdk, completed, ops, step_run

TRACEPARENT = re.compile(r"00-([0-9a-f]{32})-([0-9a-f]{16})-01")


def test_each_call_of_a_run_carries_the_runs_trace_and_its_own_span_and_request_id(
    fake_sdk: FakeSdk,
):
    fake_sdk.add_function("fake-traced", [ops(step_run("one", 1)), completed("done")])
    fake_sdk.sync()
    [run] = send_event("test/go")
    run_until_quiet()

    calls = fake_sdk.calls("fake-traced")
    assert len(calls) == 2
    parents = [TRACEPARENT.fullmatch(c.headers["traceparent"]) for c in calls]
    assert all(parents)
    assert {p.group(1) for p in parents if p} == {trace_id(run.id)}
    assert len({p.group(2) for p in parents if p}) == 2  # a span per call
    assert len({c.headers["x-request-id"] for c in calls}) == 2
    # Both calls drove one queue item (the run went on in the same item): its id is the job id.
    job_ids = {c.headers["x-inngest-job-id"] for c in calls}
    assert len(job_ids) == 1 and len(job_ids.pop()) == 26
    state = dict(kv.split("=", 1) for kv in calls[0].headers["tracestate"].split(","))
    assert state == {"inngest@app": run.function.app.name, "inngest@fn": "fake-traced"}


def test_runs_have_different_traces_and_a_traceparent_reads_back():
    assert trace_id("01A") != trace_id("01B")
    assert len(trace_id("01A")) == 32
    assert parse_traceparent(f"00-{trace_id('01A')}-00f067aa0ba902b7-01") == (
        trace_id("01A"),
        "00f067aa0ba902b7",
    )
    assert parse_traceparent("00-xyz-00f067aa0ba902b7-01") is None
