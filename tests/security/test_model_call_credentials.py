"""step.ai.infer: a provider error that echoes the key (or any bearer token) is stored and shown
masked, never as it came; and a model URL keeps its own query string (`?api-version=`), with
the Gemini key added to it rather than replacing it."""

from collections.abc import Iterator

import pytest

from runs.models import Attempt, Run, Step
from runs.statuses import RunStatus
from tests.fake_http import JsonHandler, serving
from tests.integration.drive import run_until_quiet, send_event
from tests.integration.fake_sdk import FakeSdk, SdkRequest, completed, hashed, ops

KEY = "sk-live-0123456789abcdef"


class EchoingProvider(JsonHandler):
    """Refuses every call, echoing the credentials it got, as some providers' errors do."""

    paths: list[str] = []

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        EchoingProvider.paths.append(self.path)
        self.read_json()
        got = self.headers.get("Authorization") or self.path
        self.reply_json(401, {"error": {"message": f"Invalid key. You sent: {got}"}})


@pytest.fixture
def provider() -> Iterator[str]:
    EchoingProvider.paths = []
    with serving(EchoingProvider) as url:
        yield url


def _infer(url: str, model_format: str) -> dict:
    return {
        "op": "AIGateway",
        "id": hashed("ask"),
        "name": "ask",
        "opts": {
            "type": "step.ai.infer",
            "url": url,
            "format": model_format,
            "auth_key": KEY,
            "body": {"messages": [{"role": "user", "content": "hi"}]},
        },
    }


def _run_inference(fake_sdk: FakeSdk, op: dict) -> Run:
    def answer(request: SdkRequest):
        if hashed("ask") in request.steps:
            return completed(request.steps[hashed("ask")])
        return ops(op)

    fake_sdk.add_function("fake-infer", answer)
    fake_sdk.sync()
    [run] = send_event("test/go")
    run_until_quiet()
    run.refresh_from_db()
    return run


def test_a_provider_error_echoing_the_key_is_stored_masked(fake_sdk: FakeSdk, provider: str):
    run = _run_inference(fake_sdk, _infer(f"{provider}/v1/chat/completions", "openai-chat"))

    assert run.status == RunStatus.COMPLETED  # the SDK got the (masked) error as the memo
    stored = [str(run.output), *(str(s.memo) for s in Step.objects.filter(run=run))]
    stored += [str(a.error) for a in Attempt.objects.filter(run=run)]
    assert "You sent: Bearer [redacted]" in stored[1]
    assert not any(KEY in text for text in stored)


def test_a_model_url_keeps_its_query_string(fake_sdk: FakeSdk, provider: str):
    url = f"{provider}/v1beta/models/m:generateContent?api-version=2024-06-01"
    run = _run_inference(fake_sdk, _infer(url, "gemini"))

    [path] = EchoingProvider.paths
    assert "api-version=2024-06-01" in path and f"key={KEY}" in path
    assert KEY not in str(Step.objects.get(run=run).memo)
