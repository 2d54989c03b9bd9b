"""AIGateway (step.ai.infer): the server makes the model call the op describes, between two
SDK requests, and feeds the model's answer back as the step's memo; the key is not stored."""

from collections.abc import Iterator

import pytest

from runs.models import RunStatus
from tests.fake_http import JsonHandler, serving
from tests.integration.drive import run_until_quiet, send_event
from tests.integration.fake_sdk import FakeSdk, SdkRequest, completed, hashed, ops


class FakeModel(JsonHandler):
    """Answers like OpenAI's chat completions; remembers the authorization it got."""

    auth: list[str | None] = []

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        prompt = self.read_json()["messages"][-1]["content"]
        FakeModel.auth.append(self.headers.get("Authorization"))
        self.reply_json(200, {"choices": [{"message": {"content": f"echo: {prompt}"}}]})


@pytest.fixture
def model_url() -> Iterator[str]:
    FakeModel.auth = []
    with serving(FakeModel) as url:
        yield f"{url}/v1/chat/completions"


def test_the_model_answer_becomes_the_step_memo(fake_sdk: FakeSdk, model_url: str):
    infer = {
        "op": "AIGateway",
        "id": hashed("ask"),
        "name": "ask",
        "opts": {
            "type": "step.ai.infer",
            "url": model_url,
            "format": "openai-chat",
            "auth_key": "sk-secret",
            "body": {"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]},
        },
    }

    def answer(request: SdkRequest):
        if hashed("ask") in request.steps:
            return completed(request.steps[hashed("ask")])
        return ops(infer)

    fake_sdk.add_function("fake-infer", answer)
    fake_sdk.sync()

    [run] = send_event("test/go")
    run_until_quiet()

    run.refresh_from_db()
    reply = {"choices": [{"message": {"content": "echo: hi"}}]}
    assert run.status == RunStatus.COMPLETED and run.output == {"data": reply}
    assert FakeModel.auth == ["Bearer sk-secret"]
    step = run.steps.get()
    assert step.opcode == "AIGateway" and "sk-secret" not in str(step.opts)
