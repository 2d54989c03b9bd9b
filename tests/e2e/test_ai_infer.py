"""step.ai.infer: the server calls the model (a local fake OpenAI-compatible endpoint) and
feeds the response, or the provider's error, back to the function."""

import json
from collections.abc import Iterator

import pytest

from tests.fake_http import JsonHandler, serving
from tests.harness import DevServer, SdkApp


class FakeOpenAI(JsonHandler):
    """`/v1/chat/completions` answers like OpenAI; `/broken/v1/...` answers 401."""

    requests: list[dict] = []

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        body = self.read_json()
        FakeOpenAI.requests.append({"auth": self.headers.get("Authorization"), "body": body})
        if self.path.startswith("/broken/"):
            status, answer = 401, {"error": {"message": "bad key"}}
        else:
            prompt = body["messages"][-1]["content"]
            answer = {"choices": [{"message": {"role": "assistant", "content": f"echo: {prompt}"}}]}
            status = 200
        self.reply_json(status, answer)


@pytest.fixture(scope="module")
def model_url() -> Iterator[str]:
    with serving(FakeOpenAI) as url:
        yield url


def test_ai_infer_returns_the_model_response(server: DevServer, app: SdkApp, model_url: str):
    prompt = f"hello from {app.kind}"
    [event_id] = server.send(
        {"name": app.event("ai"), "data": {"base_url": f"{model_url}/v1", "prompt": prompt}}
    )
    run = server.wait_run(event_id, app.slug("ai-infer"))

    assert run["status"] == "Completed" and run["output"] == {"answer": f"echo: {prompt}"}
    [call] = [r for r in FakeOpenAI.requests if r["body"]["messages"][-1]["content"] == prompt]
    assert call["auth"] == "Bearer sk-test-key" and call["body"]["model"] == "gpt-test"
    [step] = [s for s in run["steps"] if s["name"] == "ask-model"]
    assert step["memo"]["data"]["choices"][0]["message"]["content"] == f"echo: {prompt}"
    assert "sk-test-key" not in json.dumps(run)  # the key is never stored


def test_ai_infer_provider_error_reaches_the_function(server, app: SdkApp, model_url: str):
    [event_id] = server.send(
        {"name": app.event("ai"), "data": {"base_url": f"{model_url}/broken/v1", "prompt": "x"}}
    )
    run = server.wait_run(event_id, app.slug("ai-infer"))
    assert run["status"] == "Completed", run
    assert "unsuccessful status code: 401" in run["output"]["error"]
