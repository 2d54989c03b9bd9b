"""Traces and run metadata through the official JS SDKs (npm `inngest` 4.24.0 and 3.54.2; PyPI
`inngest` 0.5.19 has neither extendedTracesMiddleware nor metadata). The app
(tests/apps/js/traces_app.mjs) logs the trace headers of every call it gets, opens its own span
inside a step, and on 4.x writes metadata inside a step, as steps and through the API, and
calls a (traced, fake) model in `step.ai.wrap`, whose usage 4.x attaches to the step as
`inngest.ai` metadata (3.54.2's step.ai.wrap attaches none; Python 0.5.19 has no ai.wrap)."""

import hashlib
import json
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from runs.tracing import trace_id
from tests.harness import APPS, STAGING, DevServer, Process, cloud_mode_env, free_port, wait_until

KINDS = ["js4", "js3"]
# What traces_app.mjs's model call reports in its gen_ai.* span, as the SDK names it.
AI_USAGE = {
    "operation_name": "chat",
    "provider": "fake-ai",
    "request_model": "fake-model",
    "response_model": "fake-model-2026",
    "input_tokens": 12,
    "output_tokens": 5,
}


def _hashed(step_id: str) -> str:
    return hashlib.sha1(step_id.encode()).hexdigest()


@pytest.fixture(scope="module")
def traces_apps(
    server: DevServer, tmp_path_factory: pytest.TempPathFactory, artifacts: Path
) -> Iterator[dict[str, Process]]:
    work = tmp_path_factory.mktemp("traces")
    processes: dict[str, Process] = {}
    try:
        for kind in KINDS:
            port = free_port()
            env = {
                "APP_ID": f"tr-{kind}",
                "PORT": str(port),
                "SDK_MAJOR": kind[-1],
                "INNGEST_DEV": "1",
                "INNGEST_BASE_URL": server.url,
                **(cloud_mode_env(server.url) if STAGING else {}),
            }
            cmd = ["node", str(APPS / "js" / "traces_app.mjs")]
            processes[kind] = Process(f"tr-{kind}", cmd, env, work).start()
            url = f"http://127.0.0.1:{port}/api/inngest"
            wait_until(lambda u=url: _serving(u), 30, f"the tr-{kind} app to serve")
            assert server.http.post("/api/apps", json={"url": url}).status_code == 202
        wait_until(
            lambda: all(f"tr-{k}-traced" in _functions(server) for k in KINDS),
            60,
            "the traces apps to sync",
        )
        yield processes
    finally:
        for process in processes.values():
            process.stop()
            (artifacts / f"traces-{process.name}.log").write_text(process.output())


def _serving(url: str) -> bool:
    return httpx.get(url, timeout=1).status_code in (200, 401)


def _functions(server: DevServer) -> set[str]:
    return {f["slug"] for f in server.http.get("/api/functions").json()}


def _traced_run(server: DevServer, kind: str, order: int) -> dict:
    [event_id] = server.send({"name": f"tr-{kind}/traced", "data": {"order": order}})
    run = server.wait_run(event_id, f"tr-{kind}-traced", timeout=90)
    assert run["status"] == "Completed", run
    return run


def _seen_headers(process: Process, run_id: str) -> list[dict]:
    lines = re.findall(r"^headers (\{.*\})$", process.output(), re.MULTILINE)
    seen = [json.loads(line) for line in lines]
    return [h for h in seen if trace_id(run_id) in (h.get("traceparent") or "")]


@pytest.mark.parametrize("kind", KINDS)
def test_the_app_gets_the_runs_trace_context_and_its_span_is_kept_under_its_step(
    server: DevServer, traces_apps: dict[str, Process], kind: str
):
    run = _traced_run(server, kind, 7)

    seen = _seen_headers(traces_apps[kind], run["id"])
    assert seen, "the app logged no call carrying this run's traceparent"
    for headers in seen:
        assert re.fullmatch(rf"00-{trace_id(run['id'])}-[0-9a-f]{{16}}-01", headers["traceparent"])
        assert headers["tracestate"] == f"inngest@app=tr-{kind},inngest@fn=tr-{kind}-traced"
        assert len(headers["requestId"]) == 26 and len(headers["jobId"]) == 26
    spans = wait_until(
        lambda: [s for s in server.run(run["id"])["user_spans"] if s["name"] == "db.query"],
        30,
        "the app's span to be exported",
    )
    [span] = spans
    assert span["attributes"]["db.statement"] == "select * from orders where id = 7"
    if kind == "js4":  # checkpointing: the SDK names the step
        assert span["step_hashed_id"] == _hashed("load")
    page = server.http.get(f"/runs/{run['id']}/").text
    load_row = page.index(f'data-step="{_hashed("load")}"')
    span_row = page.index('class="trace-grid trace-row user-span"')
    assert load_row < span_row < page.index(f'data-step="{_hashed("charge")}"')


def test_metadata_from_steps_scores_and_the_api_is_kept_per_step_or_per_run(
    server: DevServer, traces_apps: dict[str, Process]
):
    run = _traced_run(server, "js4", 8)

    def kinds() -> dict[tuple[str, str], dict] | None:
        found = {
            (m["step_hashed_id"], m["kind"]): m["values"] for m in server.run(run["id"])["metadata"]
        }
        return found if len(found) >= 5 else None

    found = wait_until(kinds, 30, "the run's metadata")
    assert found[("", "userland.default")] == {"customer": "acme"}
    assert found[("", "inngest.score")] == {"quality": {"value": 0.87}}
    assert found[("", "userland.outside")] == {"source": "api"}
    assert found[(_hashed("charge"), "userland.charge")] == {"amount": 42}
    # step.ai.wrap: the SDK read the model call's gen_ai.* span into the step's AI metadata.
    ai = found[(_hashed("ask"), "inngest.ai")]
    assert {k: ai.get(k) for k in AI_USAGE} == AI_USAGE, ai
    page = server.http.get(f"/runs/{run['id']}/").text
    assert 'id="run-metadata"' in page and "acme" in page and "quality" in page
    step_page = server.http.get(f"/runs/{run['id']}/?step={_hashed('charge')}").text
    assert 'id="step-metadata"' in step_page and "amount" in step_page
    ask_page = server.http.get(f"/runs/{run['id']}/?step={_hashed('ask')}").text
    assert 'data-kind="inngest.ai"' in ask_page
    assert "input_tokens" in ask_page and "fake-model-2026" in ask_page
