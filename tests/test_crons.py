"""Crons: `TZ=` schedules fire through the SDKs, and each tick starts exactly one run."""

from datetime import timedelta

import pytest

from devserver import clock
from runs.crons import claim_tick, fire_due_crons
from runs.models import CronTrigger, Run
from runs.registration import parse_registration, register

from .harness import DevServer, SdkApp, wait_until


@pytest.mark.e2e
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


def _register_cron_function() -> None:
    url = "http://127.0.0.1:9/api/inngest"
    register(
        parse_registration(
            {
                "url": url,
                "appName": "cron-app",
                "functions": [
                    {
                        "id": "cron-app-tick",
                        "name": "tick",
                        "triggers": [{"cron": "TZ=Europe/Paris */5 * * * *"}],
                        "steps": {
                            "step": {
                                "id": "step",
                                "name": "step",
                                "runtime": {"type": "http", "url": url},
                            }
                        },
                    }
                ],
            }
        ),
        default_retries=4,
    )


@pytest.mark.django_db
def test_each_tick_is_claimed_once_even_by_racing_beats():
    _register_cron_function()
    cron = CronTrigger.objects.get()
    CronTrigger.objects.filter(pk=cron.pk).update(next_fire_at=clock.now() - timedelta(seconds=1))
    stale_copy = CronTrigger.objects.get(pk=cron.pk)  # what a second beat read at the same time

    assert fire_due_crons() == 1
    assert claim_tick(stale_copy, clock.now()) is False
    assert fire_due_crons() == 0
    assert Run.objects.count() == 1
    assert CronTrigger.objects.get().next_fire_at > clock.now()


@pytest.mark.django_db
def test_archived_cron_function_stops_firing():
    _register_cron_function()
    register(
        parse_registration(
            {"url": "http://127.0.0.1:9/api/inngest", "appName": "cron-app", "functions": []}
        ),
        default_retries=4,
    )
    assert CronTrigger.objects.count() == 0
