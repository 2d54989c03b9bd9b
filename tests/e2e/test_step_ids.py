"""Step ids: repeats in a loop are distinct steps; a new deploy reuses memoized steps and runs
new ones, as the SDKs' versioning expects."""

from pathlib import Path

from tests.harness import DevServer, SdkApp


def test_repeated_step_id_in_a_loop_makes_distinct_steps(server: DevServer, app: SdkApp):
    [event_id] = server.send({"name": app.event("loop")})
    run = server.wait_run(event_id, app.slug("loop-ids"))

    assert run["status"] == "Completed" and run["output"] == [0, 1, 2]
    assert len({s["hashed_id"] for s in run["steps"]}) == 3
    assert [s["memo"] for s in run["steps"]] == [{"data": 0}, {"data": 1}, {"data": 2}]


def test_new_deploy_reuses_memoized_steps_and_runs_new_ones(tmp_path: Path):
    server = DevServer(tmp_path)
    app = SdkApp("py", server.url, tmp_path, app_id="deploy-app")
    server.sdk_urls = [app.url]
    app.start()
    server.start()
    try:
        server.wait_synced(app, 10)
        # A 10 s sleep: the old app is stopped well before it ends, however slow the machine.
        [event_id] = server.send({"name": app.event("versioned"), "data": {"seconds": 10}})
        server.wait_run(event_id, app.slug("versioned"), {"Sleeping"})

        app.process.stop()  # deploy version 2 while the run sleeps
        app.process.env["APP_VERSION"] = "2"
        app.start()

        run = server.wait_run(event_id, app.slug("versioned"), timeout=30)
        assert run["status"] == "Completed" and run["output"] == ["a", "b2"]
        lines = app.log_lines()
        assert lines.count("step:a") == 1 and lines.count("step:b-renamed") == 1
        assert "step:b" not in lines
    finally:
        server.stop()
        app.process.stop()
