"""Cron ticks: each tick is claimed once even by racing beats, and an archived function stops."""

from datetime import timedelta

import pytest

from foundation import clock
from runs.crons import claim_tick, fire_due_crons
from runs.models import CronTrigger, Run
from runs.registration import parse_registration, register

pytestmark = pytest.mark.django_db


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


def test_each_tick_is_claimed_once_even_by_racing_beats():
    _register_cron_function()
    cron = CronTrigger.objects.get()
    CronTrigger.objects.filter(pk=cron.pk).update(next_fire_at=clock.now() - timedelta(seconds=1))
    stale_copy = CronTrigger.objects.get(pk=cron.pk)  # what a second beat read at the same time

    fired_at = clock.now()
    assert fire_due_crons() == 1
    assert claim_tick(stale_copy, clock.now()) is False
    assert fire_due_crons() == 0
    assert Run.objects.count() == 1
    assert CronTrigger.objects.get().next_fire_at > fired_at


def test_archived_cron_function_stops_firing():
    _register_cron_function()
    register(
        parse_registration(
            {"url": "http://127.0.0.1:9/api/inngest", "appName": "cron-app", "functions": []}
        ),
        default_retries=4,
    )
    assert CronTrigger.objects.count() == 0
