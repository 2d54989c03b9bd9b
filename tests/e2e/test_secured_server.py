"""A secured server (signing key, event keys, logins) with the official SDKs in production mode:
functions run end to end with every request and response signed; a wrong key is refused."""

import json

import httpx
import pytest

from runs.signing import sign
from tests.harness import (
    EVENT_KEY,
    SIGNING_KEY,
    DevServer,
    SdkApp,
    cloud_mode_env,
    wait_until,
)

WRONG_KEY = "signkey-test-" + "0bad" * 16


@pytest.mark.parametrize("kind", ["py", "js3", "js4"])
def test_sdks_in_production_mode_run_a_function_end_to_end(secured: dict, kind: str):
    server: DevServer = secured["server"]
    app: SdkApp = secured["apps"][kind]
    [event_id] = server.send({"name": app.event("multi"), "data": {"signed": kind}})
    run = server.wait_run(event_id, app.slug("multi-step"))
    assert run["status"] == "Completed", run
    assert run["output"]["c"] == 3 and run["output"]["event"] == {"signed": kind}
    assert [s["name"] for s in run["steps"]] == ["a", "b", "c"]


def test_an_app_with_the_wrong_signing_key_is_refused(secured: dict):
    server: DevServer = secured["server"]
    impostor = SdkApp(
        "py",
        server.url,
        secured["work"],
        app_id="impostor",
        env=cloud_mode_env(server.url, WRONG_KEY),
    )
    impostor.start()
    try:
        answer = server.http.post("/api/apps", json={"url": impostor.url})
        assert answer.status_code == 202
        # The SDK logs the server's answer to its register call: refused, and nothing stored.
        wait_until(
            lambda: "registration_failed" in impostor.process.output(),
            30,
            "the impostor's register call to come back",
        )
        slugs = [f["slug"] for f in server.http.get("/api/functions").json()]
        assert not any(slug.startswith("impostor-") for slug in slugs)
    finally:
        impostor.process.stop()


def test_the_sdk_refuses_a_request_whose_body_was_changed_after_signing(secured: dict):
    app: SdkApp = secured["apps"]["py"]
    body = json.dumps({"event": {"name": app.event("multi"), "data": {}}, "steps": {}}).encode()
    header = sign(body, SIGNING_KEY)
    tampered = body.replace(b'"data": {}', b'"data": {"admin": true}')
    url = f"{app.url}?fnId={app.slug('multi-step')}&stepId=step"
    refused = httpx.post(url, content=tampered, headers={"X-Inngest-Signature": header})
    assert refused.status_code == 401


def test_unknown_event_keys_and_anonymous_api_calls_get_401(secured: dict):
    server: DevServer = secured["server"]
    anonymous = httpx.Client(base_url=server.url)
    unknown = anonymous.post("/e/not-a-key", json={"name": "x"})
    assert unknown.status_code == 401 and unknown.json()["error"] == "Event key not found"
    assert anonymous.post(f"/e/{EVENT_KEY}", json={"name": "x"}).status_code == 200
    assert anonymous.get("/api/runs").status_code == 401
    page = anonymous.get("/runs/")
    assert page.status_code == 302 and "/accounts/login/" in page.headers["location"]
