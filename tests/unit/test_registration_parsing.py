"""A sync body parsed before anything is stored: both SDKs' spellings, and every unusable field
refused with a message naming the function and the field (the SDK shows it to the user)."""

import re

import pytest

from runs.registration import RegistrationError, parse_registration

URL = "http://127.0.0.1:3000/api/inngest"


def body(**function: object) -> dict:
    fn = {
        "id": "shop-charge",
        "name": "Charge",
        "triggers": [{"event": "shop/order"}],
        "steps": {"step": {"id": "step", "runtime": {"type": "http", "url": URL}}},
        **function,
    }
    return {"url": URL, "appName": "shop", "sdk": "js:v3.54.2", "functions": [fn]}


def test_js_and_python_spellings_of_the_app_name_are_both_read():
    js = parse_registration(body())
    python = body()
    python["appname"] = python.pop("appName")
    assert js.app_name == parse_registration(python).app_name == "shop"
    assert js.sdk == "js:v3.54.2" and js.functions[0]["id"] == "shop-charge"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"url": "ftp://x"}, "url must be the app's http(s) serve URL"),
        ({"appName": ""}, "appName is required"),
        ({"functions": {}}, "functions must be a list"),
    ],
)
def test_an_unusable_app_field_is_refused(change, message):
    with pytest.raises(RegistrationError, match=re.escape(message)):
        parse_registration({**body(), **change})


@pytest.mark.parametrize(
    ("function", "message"),
    [
        ({"triggers": []}, "function 'shop-charge': triggers must be a non-empty list"),
        ({"triggers": [{"event": "e"}] * 11}, "at most 10 triggers"),
        ({"triggers": [{}]}, "trigger 0 needs an event name or a cron schedule"),
        ({"triggers": [{"cron": "whenever"}]}, "trigger 0: invalid cron expression"),
        ({"steps": {}}, "steps.step.runtime.url is required"),
        ({"debounce": {"period": "soon"}}, "debounce.period: invalid duration 'soon'"),
        ({"throttle": {"limit": 1, "period": -5}}, "throttle.period: invalid duration -5"),
        ({"rateLimit": {"limit": 1, "period": float("inf")}}, "rateLimit.period: invalid"),
        ({"batchEvents": {"maxSize": 5, "timeout": 10**30}}, "batchEvents.timeout: invalid"),
        ({"concurrency": [{"limit": 1, "key": "event.data.x =="}]}, "invalid expression"),
        ({"idempotency": "event.data.id +"}, "function 'shop-charge': invalid expression"),
        ({"rateLimit": {"limit": 1}}, "function 'shop-charge': rateLimit.period is required"),
        ({"throttle": {"limit": "x", "period": "1s"}}, "throttle.limit must be a whole number"),
    ],
)
def test_an_unusable_function_field_is_refused_naming_function_and_field(function, message):
    with pytest.raises(RegistrationError, match=re.escape(message)):
        parse_registration(body(**function))


def test_flow_control_options_as_the_sdks_send_them_are_accepted():
    registration = parse_registration(
        body(
            concurrency=[{"limit": 2, "key": "event.data.user"}],
            throttle={"limit": 5, "period": "1m", "burst": 2},
            rateLimit={"limit": 1, "period": "1h", "key": "event.data.user"},
            debounce={"period": "5s", "timeout": "1m"},
            batchEvents={"maxSize": 10, "timeout": "5s"},
            idempotency="event.data.order",
            priority={"run": "event.data.vip ? 120 : 0"},
            singleton={"key": "event.data.user", "mode": "skip"},
            timeouts={"start": "1m", "finish": "1h"},
        )
    )
    assert registration.functions[0]["throttle"]["burst"] == 2
