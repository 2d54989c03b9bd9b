"""Spans the app exports itself, OTLP/HTTP at `POST /v1/traces/userland`, stored per run.

Wire shape: npm `inngest` 4.24.0 / 3.54.2 `extendedTracesMiddleware` exports through
`@opentelemetry/exporter-trace-otlp-http` (components/execution/otel/processor.js), which sends
OTLP/JSON (`Content-Type: application/json`, otlp-transformer `JsonTraceSerializer`): hex ids,
nanosecond times as strings, attributes as `[{key, value: {stringValue|intValue|...}}]`. Only
spans inside a run are exported; each carries `sdk.run.id` and `inngest.traceparent` (the call's
trace context, runs/tracing.py), and under checkpointing `inngest.step.hash` (its step)."""

import base64
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db import IntegrityError, transaction
from google.protobuf.json_format import MessageToDict
from google.protobuf.message import DecodeError
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from .models import Run, UserSpan
from .tracing import parse_traceparent, trace_id

# Attribute keys the SDK sets (otel/consts.js `Attribute`).
RUN_ID_ATTR = "sdk.run.id"
TRACEPARENT_ATTR = "inngest.traceparent"
STEP_HASH_ATTR = "inngest.step.hash"

# Bounds: a run keeps at most MAX_SPANS_PER_RUN spans (later ones are dropped and counted in
# the answer); one request carries at most MAX_SPANS_PER_REQUEST; each span keeps
# MAX_ATTRIBUTES attributes with values cut to MAX_VALUE_CHARS.
MAX_BODY_BYTES = 1024 * 1024
MAX_SPANS_PER_REQUEST = 512
MAX_SPANS_PER_RUN = 1000
MAX_ATTRIBUTES = 64
MAX_VALUE_CHARS = 1024
MAX_NAME_CHARS = 255
_STATUS = {1: "ok", 2: "error", "STATUS_CODE_OK": "ok", "STATUS_CODE_ERROR": "error"}


class BadSpans(ValueError):
    """An export body that is not OTLP/JSON; the message names the field."""


@dataclass(frozen=True)
class ExportedSpan:
    trace_id: str
    span_id: str
    parent_span_id: str
    name: str
    started_at: datetime
    ended_at: datetime
    status: str
    attributes: dict[str, Any]

    @property
    def run_id(self) -> str:
        return str(self.attributes.get(RUN_ID_ATTR) or "")


@dataclass(frozen=True)
class Stored:
    accepted: int
    rejected: int  # over a run's bound, for an unknown run, or outside the run's trace


def parse_export(body: bytes, protobuf: bool = False) -> list[ExportedSpan]:
    """The spans of an `ExportTraceServiceRequest`: OTLP/JSON, or OTLP/protobuf (what other
    OTLP/HTTP exporters send by default) decoded by the official `opentelemetry-proto`."""
    if len(body) > MAX_BODY_BYTES:
        raise BadSpans(f"the export is {len(body)} bytes, over {MAX_BODY_BYTES}")
    if protobuf:
        request = _from_protobuf(body)
    else:
        try:
            request = json.loads(body)
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise BadSpans("the body is not OTLP/JSON") from None
    if not isinstance(request, dict):
        raise BadSpans("the body must be an object with resourceSpans")
    spans = []
    for r, resource in enumerate(_list(request, "resourceSpans", "")):
        for s, scope in enumerate(_list(resource, "scopeSpans", f"resourceSpans[{r}]")):
            where = f"resourceSpans[{r}].scopeSpans[{s}]"
            for i, raw in enumerate(_list(scope, "spans", where)):
                spans.append(_span(raw, f"{where}.spans[{i}]"))
                if len(spans) > MAX_SPANS_PER_REQUEST:
                    raise BadSpans(f"the export has over {MAX_SPANS_PER_REQUEST} spans")
    return spans


def _from_protobuf(body: bytes) -> dict[str, Any]:
    """The protobuf export in OTLP/JSON's shape: protobuf's JSON mapping gives camelCase keys
    and int64 as strings, as OTLP/JSON does, but bytes as base64 where OTLP/JSON wants hex."""
    try:
        message = ExportTraceServiceRequest.FromString(body)
    except DecodeError:
        raise BadSpans("the body is not an OTLP/protobuf ExportTraceServiceRequest") from None
    request = MessageToDict(message)
    for resource in request.get("resourceSpans", []):
        for scope in resource.get("scopeSpans", []):
            for span in scope.get("spans", []):
                for key in ("traceId", "spanId", "parentSpanId"):
                    if key in span:
                        span[key] = base64.b64decode(span[key]).hex()
    return request


def _list(parent: Any, key: str, where: str) -> list[Any]:
    if not isinstance(parent, dict):
        raise BadSpans(f"{where or 'the body'} must be an object")
    value = parent.get(key)
    value = [] if value is None else value
    if not isinstance(value, list):
        raise BadSpans(f"{where + '.' if where else ''}{key} must be a list")
    return value


def _span(raw: Any, where: str) -> ExportedSpan:
    if not isinstance(raw, dict):
        raise BadSpans(f"{where} must be an object")
    ids = [_hex(raw.get(k), n, f"{where}.{k}") for k, n in (("traceId", 32), ("spanId", 16))]
    parent = raw.get("parentSpanId") or ""
    status = raw.get("status")
    status = status if isinstance(status, dict) else {}
    return ExportedSpan(
        trace_id=ids[0],
        span_id=ids[1],
        parent_span_id=_hex(parent, 16, f"{where}.parentSpanId") if parent else "",
        name=str(raw.get("name") or "span")[:MAX_NAME_CHARS],
        started_at=_time(raw.get("startTimeUnixNano"), f"{where}.startTimeUnixNano"),
        ended_at=_time(raw.get("endTimeUnixNano"), f"{where}.endTimeUnixNano"),
        status=_STATUS.get(status.get("code"), ""),
        attributes=_attributes(raw.get("attributes"), f"{where}.attributes"),
    )


def _hex(value: Any, length: int, where: str) -> str:
    if not isinstance(value, str) or len(value) != length:
        raise BadSpans(f"{where} must be {length} hex digits")
    try:
        int(value, 16)
    except ValueError:
        raise BadSpans(f"{where} must be {length} hex digits") from None
    return value.lower()


def _time(value: Any, where: str) -> datetime:
    try:
        nanos = int(value)
    except (TypeError, ValueError):
        raise BadSpans(f"{where} must be nanoseconds since the epoch") from None
    try:
        return datetime.fromtimestamp(nanos / 1e9, tz=UTC)
    except (OverflowError, OSError, ValueError):
        raise BadSpans(f"{where} is out of range") from None


def _attributes(raw: Any, where: str) -> dict[str, Any]:
    if raw is None:
        return {}
    if not isinstance(raw, list):
        raise BadSpans(f"{where} must be a list")
    attributes: dict[str, Any] = {}
    for item in raw[:MAX_ATTRIBUTES]:
        if isinstance(item, dict) and isinstance(item.get("key"), str):
            attributes[item["key"][:MAX_NAME_CHARS]] = _value(item.get("value"))
    return attributes


def _value(raw: Any) -> Any:
    """An OTLP AnyValue as plain JSON, strings cut to MAX_VALUE_CHARS."""
    if not isinstance(raw, dict):
        return None
    if "stringValue" in raw:
        return str(raw["stringValue"])[:MAX_VALUE_CHARS]
    if "intValue" in raw:  # int64 travels as a string in OTLP/JSON
        try:
            return int(raw["intValue"])
        except (TypeError, ValueError):
            return None
    if "doubleValue" in raw or "boolValue" in raw:
        value = raw.get("doubleValue", raw.get("boolValue"))
        return value if isinstance(value, int | float | bool) else None
    text = json.dumps(raw, separators=(",", ":"))
    return text[:MAX_VALUE_CHARS]  # arrays, kvlists and bytes: shown as their JSON


def store_spans(spans: list[ExportedSpan]) -> Stored:
    """Keep the spans that belong to a known run's trace, up to each run's bound. A span sent
    again (the exporter retries a batch) is kept once."""
    accepted = rejected = 0
    by_run: dict[str, list[ExportedSpan]] = {}
    for span in spans:
        by_run.setdefault(span.run_id, []).append(span)
    for run_id, group in by_run.items():
        run = Run.objects.filter(pk=run_id).only("id").first() if run_id else None
        ours = [s for s in group if run is not None and _in_trace(s, trace_id(run.id))]
        rejected += len(group) - len(ours)
        if run is None or not ours:
            continue
        # The SDK's own root span of each call ("inngest.execution", parented on the call's
        # traceparent) is the call itself, not the user's: its children are drawn at the top.
        users = [s for s in ours if not _is_call_root(s)]
        kept = _store_for_run(run, users)
        accepted += kept + len(ours) - len(users)
        rejected += len(users) - kept
    return Stored(accepted, rejected)


def _store_for_run(run: Run, spans: list[ExportedSpan]) -> int:
    with transaction.atomic():
        # The run's row is locked so two exports at once cannot both pass the bound.
        Run.objects.select_for_update().filter(pk=run.id).values_list("id").first()
        room = MAX_SPANS_PER_RUN - UserSpan.objects.filter(run=run).count()
        kept = 0
        for span in spans[: max(room, 0)]:
            try:
                with transaction.atomic():
                    UserSpan.objects.create(run=run, **_fields(span))
                kept += 1
            except IntegrityError:
                kept += 1  # the same span again: already kept
        return kept


def _in_trace(span: ExportedSpan, run_trace: str) -> bool:
    """The span belongs to the run's trace. The JS SDK starts its spans in a trace of its own
    and links them by the `inngest.traceparent` attribute (the call's traceparent)."""
    parsed = parse_traceparent(str(span.attributes.get(TRACEPARENT_ATTR) or ""))
    return run_trace in (span.trace_id, parsed[0] if parsed else "")


def _is_call_root(span: ExportedSpan) -> bool:
    """The SDK's root span of a call: it has no parent (the SDK tracks only spans under it),
    or hangs from the call's own span."""
    parsed = parse_traceparent(str(span.attributes.get(TRACEPARENT_ATTR) or ""))
    return not span.parent_span_id or (parsed is not None and span.parent_span_id == parsed[1])


def _fields(span: ExportedSpan) -> dict[str, Any]:
    return {
        "span_id": span.span_id,
        "parent_span_id": span.parent_span_id,
        "step_hashed_id": str(span.attributes.get(STEP_HASH_ATTR) or "")[:64],
        "name": span.name,
        "started_at": span.started_at,
        "ended_at": max(span.ended_at, span.started_at),
        "status": span.status,
        "attributes": span.attributes,
    }
