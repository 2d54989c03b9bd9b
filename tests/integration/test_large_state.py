"""Large state: once a run's memoized state would make a request to the app larger than
DEVSERVER_STATE_INLINE_MAX_BYTES, the request says `use_api` (top level and in ctx) and carries
no memos; the SDK reads them from GET /v0/runs/{id}/actions and the events from /batch."""

import hashlib
import json
from typing import Any

import pytest
from django.test import Client, override_settings

from runs.memo import RunMemo
from runs.models import Run, RunStatus
from tests.integration.drive import run_until_quiet, send_event
from tests.integration.fake_sdk import FakeSdk, SdkRequest, completed, hashed, ops, step_run

LIMIT = 1024 * 1024
STEPS = 6
OUTPUT = 300_000  # characters per step: the state passes the limit at the fourth step


def _read(path: str) -> Any:
    response = Client().get(path)
    assert response.status_code == 200, response.content
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return json.loads(content)


def _function(seen: list[dict[str, Any]]):
    """Like an SDK: takes its state from the request, or from the API when told use_api."""

    def answer(request: SdkRequest):
        body, run_id = request.body, request.body["ctx"]["run_id"]
        use_api = body["use_api"]
        assert body["ctx"]["use_api"] == use_api  # both places, for both SDKs
        steps = _read(f"/v0/runs/{run_id}/actions") if use_api else body["steps"]
        events = _read(f"/v0/runs/{run_id}/batch") if use_api else body["events"]
        seen.append({"size": int(request.headers["content-length"]), "use_api": use_api})
        done = len(steps)
        assert list(steps) == [hashed(f"s{i}") for i in range(done)]  # in completion order
        if done < STEPS:
            return ops(step_run(f"s{done}", f"{done}" * OUTPUT))
        outputs = [steps[hashed(f"s{i}")]["data"] for i in range(STEPS)]
        return completed(
            {"ok": outputs == [f"{i}" * OUTPUT for i in range(STEPS)], "events": events}
        )

    return answer


@override_settings(STATE_INLINE_MAX_BYTES=LIMIT)
def test_a_state_over_the_limit_is_fetched_by_the_sdk_and_no_request_exceeds_it(
    fake_sdk: FakeSdk,
):
    seen: list[dict[str, Any]] = []
    fake_sdk.add_function("fake-large", _function(seen))
    fake_sdk.sync()

    [run] = send_event("test/go", {"n": 1})
    run_until_quiet()

    run.refresh_from_db()
    assert run.status == RunStatus.COMPLETED, run.error
    assert run.output["ok"] is True
    assert [e["data"] for e in run.output["events"]] == [{"n": 1}]
    assert [s["use_api"] for s in seen] == [False] * 4 + [True] * 3
    assert max(s["size"] for s in seen) <= LIMIT
    assert seen[-1]["size"] < 10_000  # the event, the stack and ctx: no memos


@override_settings(STATE_INLINE_MAX_BYTES=LIMIT)
def test_the_executor_counts_a_large_state_without_holding_it(fake_sdk: FakeSdk):
    fake_sdk.add_function("fake-large", _function([]))
    fake_sdk.sync()
    [run] = send_event("test/go", {"n": 1})
    run_until_quiet()

    memo = RunMemo.load(Run.objects.select_related("function", "event").get(pk=run.pk))
    assert memo.inline is False and memo.state_size > STEPS * OUTPUT
    assert list(memo.memos) == [hashed(f"s{i}") for i in range(STEPS)]
    assert set(memo.memos.values()) == {None}


@pytest.mark.django_db
def test_an_unknown_run_is_a_404_in_the_shape_the_js_sdk_reads(client: Client):
    for what in ("actions", "batch"):
        answer = client.get(f"/v0/runs/01NOSUCHRUN/{what}")
        assert answer.status_code == 404 and answer.json()["status"] == 404


KEY = "signkey-prod-" + "0123456789abcdef" * 4


@pytest.mark.django_db
@override_settings(REQUIRE_LOGIN=True, SIGNING_KEY=KEY, SIGNING_KEY_FALLBACK="")
def test_the_state_endpoints_need_the_hashed_signing_key(client: Client):
    assert client.get("/v0/runs/01NOSUCHRUN/actions").status_code == 401
    hashed_key = hashlib.sha256(bytes.fromhex(KEY.split("-", 2)[2])).hexdigest()
    bearer = f"Bearer signkey-prod-{hashed_key}"
    assert client.get("/v0/runs/01NOSUCHRUN/batch", HTTP_AUTHORIZATION=bearer).status_code == 404
