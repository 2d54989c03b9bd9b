"""step.ai.infer: the server calls the model (a local fake OpenAI-compatible endpoint) and
feeds the response, or the provider's error, back to the function."""

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from .harness import DevServer, SdkApp, free_port

pytestmark = pytest.mark.e2e


class FakeOpenAI(BaseHTTPRequestHandler):
    """`/v1/chat/completions` answers like OpenAI; `/broken/v1/...` answers 401."""

    requests: list[dict] = []

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        FakeOpenAI.requests.append({"auth": self.headers.get("Authorization"), "body": body})
        if self.path.startswith("/broken/"):
            status, answer = 401, {"error": {"message": "bad key"}}
        else:
            prompt = body["messages"][-1]["content"]
            answer = {"choices": [{"message": {"role": "assistant", "content": f"echo: {prompt}"}}]}
            status = 200
        raw = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def model_url() -> Iterator[str]:
    port = free_port()
    http = ThreadingHTTPServer(("127.0.0.1", port), FakeOpenAI)
    threading.Thread(target=http.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{port}"
    http.shutdown()


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
