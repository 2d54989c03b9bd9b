"""A function's config becomes a typed spec once, at registration: every option as the SDKs send
it, durations as timedeltas, and every unusable option refused with a message naming its field."""

import json
import re
from datetime import timedelta

import pytest

from flowcontrol.spec import Batch, Concurrency, Debounce, RateLimit, Singleton, Throttle
from foundation import records
from runs.models import Function
from runs.spec import CancelOn, FunctionSpec, SpecError, Trigger, parse_function

URL = "http://127.0.0.1:3000/api/inngest"


def config(**options: object) -> dict:
    return {
        "id": "shop-charge",
        "triggers": [{"event": "shop/order", "expression": "event.data.total > 1"}],
        "steps": {"step": {"runtime": {"url": URL}, "retries": {"attempts": 2}}},
        **options,
    }


def test_every_option_is_read_into_its_type():
    spec = parse_function(
        config(
            triggers=[{"event": "shop/*"}, {"cron": "TZ=Europe/Paris 0 9 * * *"}],
            cancel=[{"event": "shop/cancelled", "if": "event.id == async.id", "timeout": "1h"}],
            timeouts={"start": "1m", "finish": "2h"},
            priority={"run": "event.data.vip ? 120 : 0"},
            rateLimit={"limit": 2, "period": "1h", "key": "event.data.user"},
            throttle={"limit": 5, "period": "1m", "burst": 2},
            debounce={"period": "5s", "timeout": "1m"},
            batchEvents={"maxSize": 10, "timeout": 5000, "if": "event.data.ok"},
            singleton={"key": "event.data.user", "mode": "cancel"},
            idempotency="event.data.order",
            concurrency=[{"limit": 2, "key": "event.data.user", "scope": "account"}, {"limit": 9}],
        )
    )
    assert spec.triggers == (Trigger(event="shop/*"), Trigger(cron="TZ=Europe/Paris 0 9 * * *"))
    assert spec.crons == ["TZ=Europe/Paris 0 9 * * *"]
    assert spec.retries == 2
    assert spec.cancel == (CancelOn("shop/cancelled", "event.id == async.id", timedelta(hours=1)),)
    assert (spec.start_timeout, spec.finish_timeout) == (timedelta(minutes=1), timedelta(hours=2))
    assert spec.priority == "event.data.vip ? 120 : 0"
    flow = spec.flow
    assert flow.rate_limit == RateLimit(2, timedelta(hours=1), "1h", "event.data.user")
    assert flow.throttle == Throttle(5, timedelta(minutes=1), 2)
    assert flow.debounce == Debounce(timedelta(seconds=5), timedelta(minutes=1))
    assert flow.batch == Batch(10, timedelta(seconds=5), condition="event.data.ok")
    assert flow.singleton == Singleton("cancel", "event.data.user")
    assert flow.idempotency == "event.data.order"
    assert flow.concurrency == (
        Concurrency(2, "account", "event.data.user"),
        Concurrency(9, "fn"),
    )


def test_absent_or_null_options_are_off():
    spec = parse_function(config(throttle=None, concurrency=None, timeouts=None, cancel=None))
    assert spec.flow.throttle is None and spec.flow.concurrency == ()
    assert spec.start_timeout is None and spec.cancel == () and spec.priority is None
    assert spec.triggers[0].expression == "event.data.total > 1"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (3, (Concurrency(3),)),
        ({"limit": 1, "key": "event.data.k"}, (Concurrency(1, key="event.data.k"),)),
        ([{"limit": 0}, {"limit": 4}], (Concurrency(4),)),  # no limit: no constraint
        ([{"limit": 1}, {"limit": 2}, {"limit": 3}], (Concurrency(1), Concurrency(2))),
    ],
)
def test_concurrency_in_every_form_the_sdks_send(value, expected):
    assert parse_function(config(concurrency=value)).flow.concurrency == expected


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"rateLimit": {"limit": 1}}, "rateLimit.period is required"),
        ({"throttle": {"limit": "many", "period": "1s"}}, "throttle.limit must be a whole number"),
        ({"throttle": {"limit": 1, "period": "1s", "burst": -2}}, "throttle.burst must be at"),
        ({"debounce": {"period": "5s", "timeout": "later"}}, "debounce.timeout: invalid"),
        ({"batchEvents": {"maxSize": 3}}, "batchEvents.timeout is required"),
        ({"batchEvents": {"timeout": "1s", "if": "event.data.x >"}}, "(batchEvents.if)"),
        ({"singleton": {"mode": "sometimes"}}, "singleton.mode must be skip or cancel"),
        ({"throttle": "fast"}, "throttle must be an object, got str"),
        ({"concurrency": [{"limit": 1, "scope": "galaxy"}]}, "concurrency[0].scope must be"),
        ({"concurrency": "two"}, "concurrency must be a number, an object or a list"),
        ({"idempotency": 5}, "idempotency must be a CEL expression"),
        ({"cancel": [{"if": "true"}]}, "cancel[0] must be an object with an event name"),
        ({"cancel": [{"event": "e", "timeout": "never"}]}, "cancel[0].timeout: invalid duration"),
        ({"timeouts": {"finish": "-1s"}}, "timeouts.finish: invalid duration"),
        ({"priority": {"run": "event.data.vip ?"}}, "(priority.run)"),
        ({"triggers": [{"event": "e", "expression": "=="}]}, "trigger 0: invalid expression"),
    ],
)
def test_an_unusable_option_is_refused_naming_its_field(options, message):
    with pytest.raises(SpecError, match=re.escape(message)):
        parse_function(config(**options))


def test_a_spec_reads_back_from_its_stored_json_unchanged():
    spec = parse_function(
        config(
            cancel=[{"event": "shop/cancelled", "timeout": "90m"}],
            timeouts={"finish": 1500},
            throttle={"limit": 5, "period": "1m", "burst": 2, "key": "event.data.user"},
            batchEvents={"maxSize": 10, "timeout": "5s"},
            concurrency=[{"limit": 2, "scope": "env"}],
        )
    )
    stored = json.loads(json.dumps(records.to_json(spec)))
    assert stored["flow"]["throttle"]["period"] == 60.0  # durations in seconds
    assert records.from_json(FunctionSpec, stored) == spec


def test_a_function_row_made_by_hand_has_no_options():
    assert Function(slug="by-hand").spec == FunctionSpec()
    assert Function(slug="by-hand").flow.throttle is None
