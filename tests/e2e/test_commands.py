"""The `manage.py` twins of the dashboard's actions, run against the shared server's database:
what they start is picked up by the running server like any other work."""

import json

import pytest

from tests.harness import DevServer, SdkApp, wait_until


@pytest.fixture
def py_app(shared: dict) -> SdkApp:
    app = shared["apps"]["py"]
    app.clear_log()
    return app


def _ended(server: DevServer, run_id: str) -> dict:
    return wait_until(
        lambda: (r := server.run(run_id))["status"] in {"Completed", "Failed", "Cancelled"} and r,
        40,
        f"run {run_id} to end",
    )


def test_events_send_and_runs_rerun_from_the_command_line(server: DevServer, py_app: SdkApp):
    body = json.dumps({"name": py_app.event("multi"), "data": {"cli": True}})
    sent = server.manage("events", "send", "-", stdin=body)
    assert sent.returncode == 0, sent.stderr
    event_id = sent.stdout.strip()
    original = server.wait_run(event_id, py_app.slug("multi-step"), timeout=40)

    planned = server.manage("runs", "plan", original["id"], "--step", "b")
    assert "reused: a" in planned.stdout and "run again: b, c" in planned.stdout
    rerun = server.manage("runs", "rerun", original["id"], "--step", "b")
    assert rerun.returncode == 0, rerun.stderr
    new_id = rerun.stdout.split("new run ")[1].split()[0]
    assert _ended(server, new_id)["output"]["c"] == 3
    assert py_app.log_lines().count("step:a") == 1

    retry = server.manage("runs", "retry", original["id"])
    assert retry.returncode != 0 and "only a failed run" in retry.stderr
    bad = server.manage("events", "send", '{"data": {}}')
    assert bad.returncode != 0 and "name" in bad.stderr


def test_bulk_cancel_previews_then_cancels_with_yes(server: DevServer, py_app: SdkApp):
    event_ids = server.send(
        [{"name": py_app.event("sleep"), "data": {"seconds": 300, "cli": "bulk"}} for _ in range(3)]
    )
    runs = [server.wait_run(e, py_app.slug("sleepy"), {"Sleeping"}) for e in event_ids]
    selector = ["--function", py_app.slug("sleepy"), "--if", 'event.data.cli == "bulk"']
    preview = server.manage("bulk", "cancel", *selector)
    assert "3 matching runs" in preview.stdout and "preview only" in preview.stdout
    assert {server.run(r["id"])["status"] for r in runs} == {"Sleeping"}
    done = server.manage("bulk", "cancel", *selector, "--yes")
    assert "Completed: 3 done" in done.stdout, done.stderr
    assert {server.run(r["id"])["status"] for r in runs} == {"Cancelled"}


def test_functions_invoke_from_the_command_line(server: DevServer, py_app: SdkApp):
    started = server.manage(
        "functions", "invoke", py_app.slug("multi-step"), "--data", '{"via": "cli"}'
    )
    assert started.returncode == 0, started.stderr
    run_id = started.stdout.split("started run ")[1].strip()
    assert _ended(server, run_id)["output"]["event"]["via"] == "cli"
    missing = server.manage("functions", "invoke", "no-such-function")
    assert missing.returncode != 0 and "no function" in missing.stderr


def test_runs_list_and_show_print_text_and_json(server: DevServer, py_app: SdkApp):
    event_id = server.send({"name": py_app.event("multi"), "data": {"cli": "list"}})[0]
    run = server.wait_run(event_id, py_app.slug("multi-step"), timeout=40)
    slug = py_app.slug("multi-step")

    listed = server.manage("runs", "list", "--function", slug, "--status", "Completed")
    assert listed.returncode == 0, listed.stderr
    header, *rows = listed.stdout.splitlines()
    assert header.split()[:3] == ["RUN", "STATUS", "FUNCTION"]
    assert any(row.split()[:3] == [run["id"], "Completed", slug] for row in rows), listed.stdout

    as_json = server.manage(
        "runs", "list", "--function", slug, "--if", 'event.data.cli == "list"', "--json"
    )
    assert as_json.returncode == 0, as_json.stderr
    assert [r["id"] for r in json.loads(as_json.stdout)["runs"]] == [run["id"]]

    shown = server.manage("runs", "show", run["id"])
    assert shown.returncode == 0, shown.stderr
    assert f"run       {run['id']}" in shown.stdout and "status    Completed" in shown.stdout
    assert all(f" {name} [" in shown.stdout for name in ("a", "b", "c")), shown.stdout
    detail = json.loads(server.manage("runs", "show", run["id"], "--json").stdout)
    assert detail["status"] == "Completed" and len(detail["steps"]) == len(run["steps"])

    bad = server.manage("runs", "list", "--status", "Sleepy")
    assert bad.returncode != 0 and "unknown status" in bad.stderr
    assert server.manage("runs", "show", "no-such-run").returncode != 0


def test_rerun_with_input_is_refused_on_a_python_step_as_the_run_page_refuses_it(
    server: DevServer, py_app: SdkApp
):
    event_id = server.send({"name": py_app.event("multi"), "data": {"cli": "input"}})[0]
    run = server.wait_run(event_id, py_app.slug("multi-step"), timeout=40)
    before = len(server.runs_matching(function=py_app.slug("multi-step")))
    refused = server.manage("runs", "rerun", run["id"], "--step", "b", "--input", "[21]")
    assert refused.returncode != 0 and "recorded no input" in refused.stderr, refused.stderr
    assert len(server.runs_matching(function=py_app.slug("multi-step"))) == before
    # The run page offers no input box for that step either.
    step_b = next(s["hashed_id"] for s in run["steps"] if s["name"] == "b")
    page = server.http.get(f"/runs/{run['id']}/fork", params={"action": "rerun", "step": step_b})
    assert page.status_code == 200 and 'name="input"' not in page.text
