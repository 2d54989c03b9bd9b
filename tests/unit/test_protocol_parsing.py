"""Parsing what SDKs send: sleep targets, Retry-After, streamed responses, malformed opcodes."""

import json
from datetime import UTC, datetime, timedelta

import pytest

from foundation import clock
from foundation.durations import DurationError, parse_duration, parse_wake_time
from foundation.schedules import CronError, next_fire_time, split_cron
from runs.protocol import FunctionCompleted, FunctionErrored, Opcode, StepsReported
from runs.retries import backoff_delay
from runs.sdk_client import interpret_response, parse_retry_after


def test_sleep_target_accepts_iso_times_and_js_durations():
    assert parse_wake_time("2030-01-02T03:04:05Z") == datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)
    before = clock.now()
    wake = parse_wake_time("1h30m")
    assert timedelta(minutes=89) < wake - before < timedelta(minutes=91)


@pytest.mark.parametrize("text", ["soon", "", "-5s"])
def test_bad_durations_are_refused(text):
    with pytest.raises(DurationError):
        parse_duration(text)


def test_retry_after_accepts_seconds_iso_and_http_dates():
    before = clock.now()
    retry_at = parse_retry_after("2")
    assert before + timedelta(seconds=2) <= retry_at <= clock.now() + timedelta(seconds=2)
    assert parse_retry_after("2031-05-06T07:08:09.000Z") == datetime(
        2031, 5, 6, 7, 8, 9, tzinfo=UTC
    )
    assert parse_retry_after("Wed, 21 Oct 2037 07:28:00 GMT").year == 2037
    assert parse_retry_after("whenever") is None


def test_backoff_grows_and_stays_within_its_jitter_band(settings):
    settings.RETRY_BASE_SECONDS, settings.RETRY_MAX_SECONDS = 1.0, 3600.0
    for attempt in range(6):
        delay = backoff_delay(attempt).total_seconds()
        assert 2**attempt / 2 <= delay <= 2**attempt
    settings.RETRY_MAX_SECONDS = 10.0
    assert backoff_delay(20).total_seconds() <= 10.0


def test_streamed_201_response_stands_for_the_inner_response():
    inner = json.dumps([{"id": "h1", "op": "StepRun", "data": 1}])
    body = json.dumps({"status": 206, "headers": {}, "body": inner}).encode()
    outcome = interpret_response(201, {}, body)
    assert isinstance(outcome, StepsReported)
    assert outcome.ops[0].opcode is Opcode.STEP_RUN and outcome.ops[0].data == 1


def test_function_result_and_errors():
    assert interpret_response(200, {}, b'{"ok": true}') == FunctionCompleted({"ok": True})
    errored = interpret_response(
        500, {"x-inngest-no-retry": "true"}, b'{"name": "NonRetriableError", "message": "no"}'
    )
    assert isinstance(errored, FunctionErrored) and errored.no_retry
    assert errored.error == {"name": "NonRetriableError", "message": "no"}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'[{"op": "StepRun"}]', "has no step id"),
        (b'[{"id": "x", "op": "Dance"}]', "unknown opcode"),
        (b'["nope"]', "is not an object"),
        (b"{broken", "not valid JSON"),
    ],
)
def test_malformed_206_is_a_retriable_protocol_error(body, message):
    outcome = interpret_response(206, {}, body)
    assert isinstance(outcome, FunctionErrored) and not outcome.no_retry
    assert message in outcome.error["message"]


def test_cron_with_time_zone_prefix():
    expression, zone = split_cron("TZ=Europe/Paris 0 9 * * *")
    assert expression == "0 9 * * *" and str(zone) == "Europe/Paris"
    fire = next_fire_time("TZ=Europe/Paris 0 9 * * *", datetime(2026, 1, 1, 12, tzinfo=UTC))
    assert fire.astimezone(UTC) == datetime(2026, 1, 2, 8, tzinfo=UTC)
    with pytest.raises(CronError):
        split_cron("TZ=Mars/Base 0 9 * * *")
