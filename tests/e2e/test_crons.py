"""Crons: a `TZ=` schedule fires through the SDKs, at most one run per minute."""

from tests.harness import DevServer, SdkApp, wait_until


def test_cron_with_time_zone_fires_through_the_sdk(server: DevServer, app: SdkApp):
    slug = app.slug("paris-cron")

    def cron_runs() -> list[dict]:
        runs = server.http.get("/api/runs", params={"function": slug, "limit": 20}).json()["runs"]
        return [r for r in runs if r["status"] == "Completed"]

    [run, *_] = wait_until(cron_runs, 75, f"a tick of {slug}", interval=0.5)
    assert run["output"] == "inngest/scheduled.timer"
    event = server.http.get(f"/v1/events/{run['event_id']}").json()["data"]
    assert event["data"] == {"cron": "TZ=Europe/Paris * * * * *"}
    minutes = [r["queued_at"][:16] for r in cron_runs()]
    assert len(minutes) == len(set(minutes)), "at most one run per minute"
