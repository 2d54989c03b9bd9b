"""Each sync's deployId is the sync's, not the app's: the JS SDK copies it into every step URL,
and an app that only echoes a fresh deployId is unchanged (no function rewritten, no
"synced app" line), while its stored step URLs never carry a stale one."""

import pytest

from runs.models import Function
from runs.registration import parse_registration, register

pytestmark = pytest.mark.django_db

APP = "http://127.0.0.1:3000/api/inngest"


def _body(deploy_id: str) -> dict:
    step_url = f"{APP}?deployId={deploy_id}&fnId=shop-charge&stepId=step"
    function = {
        "id": "shop-charge",
        "name": "Charge",
        "triggers": [{"event": "shop/order"}],
        "steps": {"step": {"id": "step", "runtime": {"type": "http", "url": step_url}}},
    }
    return {"url": f"{APP}?deployId={deploy_id}", "appName": "shop", "sdk": "js:v4.24.0",
            "functions": [function]}  # fmt: skip


def test_a_sync_that_only_brings_a_new_deploy_id_changes_nothing():
    first = register(parse_registration(_body("01FIRSTSYNC")), default_retries=4)
    again = register(parse_registration(_body("01SECONDSYNC")), default_retries=4)
    assert first.modified and not again.modified
    function = Function.objects.get(slug="shop-charge")
    assert function.step_url == f"{APP}?fnId=shop-charge&stepId=step"
    assert "deployId" not in str(function.config) and first.app.url == APP
