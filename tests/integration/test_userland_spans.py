"""`POST /v1/traces/userland`: OTLP/JSON spans the app exports (JS extendedTracesMiddleware) are
stored under their run, once each, within bounds, behind the SDK's credential in staging, and
drawn under their step on the run page (by the step the SDK named, else by time)."""

import hashlib
import json
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client, override_settings
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from console.pages import telemetry
from runs import userspans
from runs.models import UserSpan
from runs.tracing import trace_id
from tests.integration.drive import run_until_quiet, send_event
from tests.integration.fake_sdk import FakeSdk, completed, hashed, ops, step_run

KEY = "signkey-prod-" + "0123456789abcdef" * 4
CALL_SPAN = "aaaaaaaaaaaaaaaa"
ROOT_SPAN = "bbbbbbbbbbbbbbbb"
SDK_TRACE = "0af7651916cd43dd8448eb211c80319c"  # the JS SDK's spans start a trace of their own


def _attr(key: str, value: Any) -> dict[str, Any]:
    kind = "intValue" if isinstance(value, int) else "stringValue"
    return {"key": key, "value": {kind: str(value) if kind == "intValue" else value}}


def _span(run_id: str, span_id: str, name: str, start_ns: int, **extra: Any) -> dict[str, Any]:
    """A span as the JS SDK's OTLP/JSON exporter writes it, linked to the call by the
    `inngest.traceparent` attribute (the traceparent we sent)."""
    call_trace = extra.pop("call_trace", trace_id(run_id))
    attrs = [
        _attr("sdk.run.id", run_id),
        _attr("inngest.traceparent", f"00-{call_trace}-{CALL_SPAN}-01"),
        *[_attr(k, v) for k, v in extra.pop("attrs", {}).items()],
    ]
    return {
        "traceId": extra.pop("trace", trace_id(run_id)),
        "spanId": span_id,
        "parentSpanId": extra.pop("parent", ROOT_SPAN),
        "name": name,
        "kind": 1,
        "startTimeUnixNano": str(start_ns),
        "endTimeUnixNano": str(start_ns + 5_000_000),
        "attributes": attrs,
        "status": {"code": extra.pop("code", 0)},
        "events": [],
    }


def _export(client: Client, spans: list[dict[str, Any]], **headers: str):
    body = {"resourceSpans": [{"resource": {"attributes": []}, "scopeSpans": [{"spans": spans}]}]}
    return client.post(
        "/v1/traces/userland", json.dumps(body), content_type="application/json", **headers
    )


def _two_step_run(fake_sdk: FakeSdk):
    fake_sdk.add_function(
        "fake-spans", [ops(step_run("one", 1)), ops(step_run("two", 2)), completed("done")]
    )
    fake_sdk.sync()
    [run] = send_event("test/go")
    run_until_quiet()
    run.refresh_from_db()
    return run


def _ns(moment) -> int:
    return int(moment.timestamp() * 1e9)


def test_spans_are_stored_once_under_their_step_and_drawn_under_it(fake_sdk: FakeSdk):
    run = _two_step_run(fake_sdk)
    one = run.steps.get(hashed_id=hashed("one"))
    client = Client()
    start = _ns(one.started_at)
    spans = [
        # The SDK's root span of the call (no parent, a trace id of its own): not drawn.
        _span(run.id, ROOT_SPAN, "inngest.execution", start, parent="", trace=SDK_TRACE),
        _span(
            run.id,
            "c" * 16,
            "db.query",
            start,
            trace=SDK_TRACE,
            attrs={"inngest.step.hash": hashed("two")},
        ),
        _span(run.id, "d" * 16, "nested", start, parent="c" * 16, code=2),
    ]
    first = _export(client, spans)
    again = _export(client, spans)  # an exporter retrying its batch

    assert first.status_code == 200 and first.json() == {}
    assert again.status_code == 200
    stored = {s.span_id: s for s in UserSpan.objects.filter(run=run)}
    assert set(stored) == {"c" * 16, "d" * 16}
    assert stored["c" * 16].step_hashed_id == hashed("two")
    assert stored["d" * 16].status == "error"
    page = client.get(f"/runs/{run.id}/").content.decode()
    two_row = page.index(f'data-step="{hashed("two")}"')
    assert page.index('data-span-id="' + "c" * 16) > two_row
    assert page.count('class="trace-grid trace-row user-span"') == 2
    panel = client.get(f"/runs/{run.id}/?step={hashed('two')}").content.decode()
    assert 'id="user-spans"' in panel and "db.query" in panel
    detail = client.get(f"/api/runs/{run.id}").json()
    assert {s["name"] for s in detail["user_spans"]} == {"db.query", "nested"}


def test_a_span_that_names_no_step_is_drawn_under_the_step_running_at_its_start(
    fake_sdk: FakeSdk,
):
    run = _two_step_run(fake_sdk)
    two = run.steps.get(hashed_id=hashed("two"))
    client = Client()
    start = _ns(two.started_at + (two.ended_at - two.started_at) / 2)
    assert _export(client, [_span(run.id, "e" * 16, "fetch", start)]).status_code == 200
    page = client.get(f"/runs/{run.id}/").content.decode()
    span_at = page.index('data-span-id="' + "e" * 16)
    assert page.rindex('class="trace-grid trace-row', 0, span_at) >= page.index(
        f'data-step="{hashed("two")}"'
    )
    assert f'data-step="{hashed("two")}" data-span-id="{"e" * 16}"' in page


def test_spans_of_no_known_run_or_another_trace_are_dropped_and_counted(fake_sdk: FakeSdk):
    run = _two_step_run(fake_sdk)
    other_trace = "f" * 32
    answer = _export(
        Client(),
        [
            _span("01NOSUCHRUN000000000000000", "1" * 16, "lost", 10**18),
            _span(run.id, "2" * 16, "forged", 10**18, trace=other_trace, call_trace=other_trace),
        ],
    )
    assert answer.status_code == 200
    assert answer.json()["partialSuccess"]["rejectedSpans"] == 2
    assert not UserSpan.objects.exists()


@pytest.mark.parametrize(
    "body, why",
    [
        (b"\x0a\x0b", "not OTLP/JSON"),
        (b'{"resourceSpans": {}}', "resourceSpans must be a list"),
        (
            b'{"resourceSpans": [{"scopeSpans": [{"spans": [{"traceId": "zz", "spanId": "1"}]}]}]}',
            "traceId must be 32 hex digits",
        ),
    ],
)
def test_an_export_that_is_not_otlp_json_gets_a_400_naming_the_field(
    db: None, body: bytes, why: str
):
    answer = Client().post("/v1/traces/userland", body, content_type="application/json")
    assert answer.status_code == 400 and why in answer.json()["error"]


def test_an_otlp_protobuf_export_is_read_like_json(fake_sdk: FakeSdk):
    run = _two_step_run(fake_sdk)
    request = ExportTraceServiceRequest()
    span = request.resource_spans.add().scope_spans.add().spans.add()
    span.trace_id = bytes.fromhex(SDK_TRACE)
    span.span_id = bytes.fromhex("9" * 16)
    span.parent_span_id = bytes.fromhex(ROOT_SPAN)
    span.name = "proto.span"
    span.start_time_unix_nano = _ns(run.started_at)
    span.end_time_unix_nano = _ns(run.started_at) + 1000
    span.status.code = 2
    for key, value in (("sdk.run.id", run.id), ("inngest.step.hash", hashed("one"))):
        span.attributes.add(key=key).value.string_value = value
    traceparent = f"00-{trace_id(run.id)}-{CALL_SPAN}-01"
    span.attributes.add(key="inngest.traceparent").value.string_value = traceparent
    span.attributes.add(key="n").value.int_value = 7
    body = request.SerializeToString()

    answer = Client().post("/v1/traces/userland", body, content_type="application/x-protobuf")

    assert answer.status_code == 200 and answer.json() == {}
    stored = UserSpan.objects.get(run=run)
    assert (stored.span_id, stored.parent_span_id) == ("9" * 16, ROOT_SPAN)
    assert stored.step_hashed_id == hashed("one") and stored.status == "error"
    assert stored.attributes["n"] == 7
    garbage = Client().post(
        "/v1/traces/userland", b"\xff\xff", content_type="application/x-protobuf"
    )
    assert garbage.status_code == 400 and "OTLP/protobuf" in garbage.json()["error"]


def test_other_content_types_are_refused_with_415(db: None):
    answer = Client().post("/v1/traces/userland", b"x", content_type="text/plain")
    assert answer.status_code == 415


def test_a_run_keeps_at_most_its_bound_of_spans(fake_sdk: FakeSdk, monkeypatch):
    monkeypatch.setattr(userspans, "MAX_SPANS_PER_RUN", 3)
    run = _two_step_run(fake_sdk)
    start = _ns(run.started_at)
    spans = [_span(run.id, f"{i:016x}", f"s{i}", start + i) for i in range(1, 6)]
    answer = _export(Client(), spans)
    assert answer.json()["partialSuccess"]["rejectedSpans"] == 2
    assert UserSpan.objects.filter(run=run).count() == 3


def test_one_export_carries_a_bounded_number_of_spans(db: None, monkeypatch):
    monkeypatch.setattr(userspans, "MAX_SPANS_PER_REQUEST", 2)
    spans = [_span("01R", f"{i:016x}", "s", 10**18) for i in range(1, 4)]
    answer = _export(Client(), spans)
    assert answer.status_code == 400 and "over 2 spans" in answer.json()["error"]


@override_settings(REQUIRE_LOGIN=True, SIGNING_KEY=KEY, SIGNING_KEY_FALLBACK="")
def test_staging_takes_spans_only_with_the_sdks_hashed_signing_key(db: None):
    client = Client()
    assert _export(client, []).status_code == 401
    hashed_key = hashlib.sha256(bytes.fromhex(KEY.split("-", 2)[2])).hexdigest()
    bearer = f"Bearer signkey-prod-{hashed_key}"
    assert _export(client, [], HTTP_AUTHORIZATION=bearer).status_code == 200


def test_span_times_and_values_are_read_as_the_exporter_writes_them():
    raw = _span("01R", "3" * 16, "x" * 400, 1_700_000_000_123_456_789, attrs={"n": 7})
    raw["attributes"].append({"key": "long", "value": {"stringValue": "v" * 5000}})
    body = json.dumps({"resourceSpans": [{"scopeSpans": [{"spans": [raw]}]}]}).encode()
    [span] = userspans.parse_export(body)
    assert span.started_at.timestamp() == pytest.approx(1_700_000_000.123456789)
    assert span.ended_at - span.started_at == timedelta(milliseconds=5)
    assert span.attributes["n"] == 7 and span.run_id == "01R"
    assert len(span.name) == userspans.MAX_NAME_CHARS
    assert len(span.attributes["long"]) == userspans.MAX_VALUE_CHARS


def test_a_step_draws_a_bounded_number_of_span_rows_and_counts_the_rest(
    fake_sdk: FakeSdk, monkeypatch
):
    monkeypatch.setattr(telemetry, "MAX_ROWS_PER_STEP", 2)
    run = _two_step_run(fake_sdk)
    start = _ns(run.steps.get(hashed_id=hashed("one")).started_at)
    step = {"inngest.step.hash": hashed("one")}
    spans = [_span(run.id, f"{i:016x}", f"s{i}", start + i, attrs=step) for i in range(1, 6)]
    assert _export(Client(), spans).status_code == 200
    page = Client().get(f"/runs/{run.id}/").content.decode()
    assert page.count("data-span-id=") == 2
    assert "and 3 more spans" in page
    panel = Client().get(f"/runs/{run.id}/?step={hashed('one')}").content.decode()
    assert all(f"s{i}<" in panel for i in range(1, 6))  # the panel lists them all
