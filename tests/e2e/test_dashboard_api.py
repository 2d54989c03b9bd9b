"""The dashboard's actions through their API twins and its pages as HTML: replay, retry, rerun,
bulk actions, invoke, run-cron-now, send again, filters, the events browser, big outputs."""

import pytest

from tests.harness import DevServer, SdkApp, wait_until


@pytest.fixture
def py_app(shared: dict) -> SdkApp:
    app = shared["apps"]["py"]
    app.clear_log()
    return app


def _completed_multi_step(server: DevServer, app: SdkApp, data: dict) -> dict:
    [event_id] = server.send({"name": app.event("multi"), "data": data})
    return server.wait_run(event_id, app.slug("multi-step"))


def _wait_ended(server: DevServer, run_id: str) -> dict:
    ended = {"Completed", "Failed", "Cancelled"}
    return wait_until(
        lambda: (run := server.run(run_id))["status"] in ended and run, 30, f"run {run_id} to end"
    )


def test_fork_plan_and_rerun_from_a_step_reuse_earlier_steps(server: DevServer, py_app: SdkApp):
    original = _completed_multi_step(server, py_app, {"fork": 1})
    by_name = {s["name"]: s["hashed_id"] for s in original["steps"]}
    plan = server.http.get(
        f"/api/runs/{original['id']}/fork-plan", params={"action": "rerun", "step": by_name["c"]}
    ).json()
    assert plan == {"action": "rerun", "reused": ["a", "b"], "rerun": ["c"], "from_step": "c"}

    response = server.http.post(
        f"/api/runs/{original['id']}/fork", json={"action": "rerun", "step": by_name["c"]}
    )
    assert response.status_code == 201, response.text
    rerun = _wait_ended(server, response.json()["id"])
    assert rerun["status"] == "Completed" and rerun["output"]["c"] == 3
    lines = py_app.log_lines()
    assert lines.count("step:a") == 1 and lines.count("step:c") == 2
    reused = {s["name"]: s["attempts"] for s in rerun["steps"]}
    assert reused == {"a": 0, "b": 0, "c": 1}  # 0 attempts: carried over, never called

    page = server.http.get(f"/runs/{rerun['id']}/").text
    assert f'href="/runs/{original["id"]}/"' in page and "Rerun of" in page


def test_only_failed_runs_can_be_retried(server: DevServer, py_app: SdkApp):
    run = _completed_multi_step(server, py_app, {})
    response = server.http.post(f"/api/runs/{run['id']}/fork", json={"action": "retry"})
    assert response.status_code == 409 and "only a failed run" in response.json()["error"]
    unknown = server.http.post(f"/api/runs/{run['id']}/fork", json={"action": "explode"})
    assert unknown.status_code == 409


def test_bulk_replay_of_failed_runs_through_the_api(server: DevServer, py_app: SdkApp):
    tag = "bulk-replay"
    event_ids = server.send(
        [{"name": py_app.event("nonretriable"), "data": {"tag": tag}} for _ in range(3)]
    )
    for event_id in event_ids:
        assert server.wait_run(event_id, py_app.slug("non-retriable"))["status"] == "Failed"
    selector = {
        "function": py_app.slug("non-retriable"),
        "expression": 'event.data.tag == "bulk-replay"',
    }
    preview = server.http.post("/api/bulk", json={"kind": "replay", **selector}).json()
    assert preview["status"] == "Preview" and preview["total"] >= 3
    assert server.http.get(f"/api/bulk/{preview['id']}").json()["done"] == 0  # not started

    server.http.post(f"/api/bulk/{preview['id']}/confirm")
    done = wait_until(
        lambda: (
            (a := server.http.get(f"/api/bulk/{preview['id']}").json())["status"] == "Completed"
            and a
        ),
        30,
        "the bulk replay to finish",
    )
    assert done["done"] == preview["total"]
    replays = server.runs_matching(function=py_app.slug("non-retriable"), limit=500)
    for run_id in preview["run_ids"]:
        assert any(r["id"] != run_id for r in replays)
    confirm_again = server.http.post(f"/api/bulk/{preview['id']}/confirm").json()
    assert confirm_again["done"] == done["done"]  # confirming twice does nothing more


def test_runs_filters_reject_bad_input_with_a_clear_error(server: DevServer):
    bad_cel = server.http.get("/api/runs", params={"if": "event.data.x >"})
    assert bad_cel.status_code == 400 and "invalid expression" in bad_cel.json()["error"]
    bad_time = server.http.get("/api/runs", params={"from": "yesterday"})
    assert bad_time.status_code == 400 and "`from`" in bad_time.json()["error"]
    bad_status = server.http.get("/api/runs", params={"status": "Asleep"})
    assert bad_status.status_code == 400
    page = server.http.get("/runs/", params={"if": "<b>(("})
    assert page.status_code == 200 and "invalid expression" in page.text
    assert "<b>((" not in page.text


def test_runs_filter_by_cel_over_output_and_time(server: DevServer, py_app: SdkApp):
    run = _completed_multi_step(server, py_app, {"marker": "cel-output"})
    params = {"if": 'output.event.marker == "cel-output"', "from": run["queued_at"][:19]}
    found = server.runs_matching(**params)
    assert [r["id"] for r in found] == [run["id"]]
    listing = server.http.get("/runs/", params=params).text
    assert run["id"] in listing


def test_invoke_and_run_cron_now_start_runs(server: DevServer, py_app: SdkApp):
    response = server.http.post(
        f"/api/functions/{py_app.slug('multi-step')}/invoke", json={"data": {"via": "invoke"}}
    )
    assert response.status_code == 201
    run = _wait_ended(server, response.json()["id"])
    assert run["output"]["event"]["via"] == "invoke"

    cron = server.http.post(f"/api/functions/{py_app.slug('paris-cron')}/run-cron")
    assert cron.status_code == 201
    assert _wait_ended(server, cron.json()["id"])["output"] == "inngest/scheduled.timer"
    not_cron = server.http.post(f"/api/functions/{py_app.slug('multi-step')}/run-cron")
    assert not_cron.status_code == 409
    page = server.http.get(f"/functions/{py_app.slug('paris-cron')}/").text
    assert "Run now" in page and "next at" in page


def test_event_page_explains_functions_that_did_not_start(server: DevServer, py_app: SdkApp):
    [event_id] = server.send({"name": py_app.event("if"), "data": {"amount": 3}})
    page = server.http.get(f"/events/{event_id}/").text
    assert py_app.slug("if-trigger") in page and "expression false" in page

    resent = server.http.post(f"/api/events/{event_id}/resend").json()["ids"]
    assert resent[0] != event_id
    again = server.http.get(f"/api/events/{resent[0]}").json()
    assert again["name"] == py_app.event("if") and again["data"] == {"amount": 3}
    assert (
        py_app.event("if")
        in server.http.get("/events/", params={"if": "event.data.amount == 3"}).text
    )


def test_a_big_step_output_is_cut_with_a_download_link(server: DevServer, py_app: SdkApp):
    [event_id] = server.send({"name": py_app.event("big"), "data": {}})
    run = server.wait_run(event_id, py_app.slug("big-output"))
    [step] = run["steps"]
    # The step's panel (the trace's selected step) shows the cut value and the download link.
    page = server.http.get(f"/runs/{run['id']}/", params={"step": step["hashed_id"]}).text
    assert "download the whole value" in page and "&lt;end&gt;" not in page
    whole = server.http.get(f"/runs/{run['id']}/steps/{step['hashed_id']}.json")
    assert whole.json()["data"]["text"].endswith("<end>")
    assert "attachment" in whole.headers["content-disposition"]
