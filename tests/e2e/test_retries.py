"""Step retries through the official SDKs: backoff then success, NonRetriableError, RetryAfter."""

from datetime import datetime

from tests.harness import DevServer, SdkApp


def test_failing_step_is_retried_until_it_succeeds(server: DevServer, app: SdkApp):
    [event_id] = server.send({"name": app.event("flaky")})
    run = server.wait_run(event_id, app.slug("flaky"), timeout=60)

    assert run["status"] == "Completed", run
    assert run["output"] == {"attempts": 3}
    [step] = run["steps"]
    assert step["status"] == "Completed" and step["attempts"] == 3
    failures = run["failed_attempts"]
    assert [f["number"] for f in failures] == [0, 1]
    assert all("boom" in f["error"]["message"] for f in failures)
    assert app.log_lines().count("flaky:attempt") == 3


def test_non_retriable_error_fails_the_run_at_once(server: DevServer, app: SdkApp):
    [event_id] = server.send({"name": app.event("nonretriable")})
    run = server.wait_run(event_id, app.slug("non-retriable"))

    assert run["status"] == "Failed", run
    assert "no way" in run["error"]["message"]
    assert app.log_lines().count("nonretriable:attempt") == 1


def test_retry_after_error_waits_the_time_the_sdk_asked(server: DevServer, app: SdkApp):
    [event_id] = server.send({"name": app.event("retryafter")})
    run = server.wait_run(event_id, app.slug("retry-after"), timeout=30)

    assert run["status"] == "Completed" and run["output"] == "ok", run
    [failure] = run["failed_attempts"]
    failed_started_at = datetime.fromisoformat(failure["started_at"].replace("Z", "+00:00"))
    ended_at = datetime.fromisoformat(run["ended_at"].replace("Z", "+00:00"))
    # RetryAfterError asked for 2 s from the app's answer, which came after the failed attempt
    # started. Some SDKs send the retry time with whole-second precision, so the wait can be up
    # to 1 s shorter; our own first backoff is at most 1 s, counted from that attempt's end.
    assert (ended_at - failed_started_at).total_seconds() > 1.0
    assert app.log_lines().count("retryafter:attempt") == 2
