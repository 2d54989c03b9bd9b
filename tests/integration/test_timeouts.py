"""timeouts.start cancels a run still queued past its deadline (finish is tested end to end)."""

from datetime import timedelta

import pytest

from foundation import clock
from runs.cancellation import cancel_timed_out_runs
from runs.models import Function, Run, RunStatus
from runs.registration import parse_registration, register
from runs.triggers import start_run

pytestmark = pytest.mark.django_db


def _function_with_start_timeout() -> Function:
    url = "http://127.0.0.1:9/api/inngest"
    register(
        parse_registration(
            {
                "url": url,
                "appName": "t",
                "functions": [
                    {
                        "id": "t-slow-start",
                        "name": "slow start",
                        "triggers": [{"event": "t/go"}],
                        "timeouts": {"start": "5s"},
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
    return Function.objects.get(slug="t-slow-start")


def test_run_queued_past_its_start_timeout_is_cancelled():
    run = start_run(_function_with_start_timeout(), None)
    assert run.timeout_at is not None
    assert timedelta(seconds=4) < run.timeout_at - run.queued_at <= timedelta(seconds=5)

    assert cancel_timed_out_runs() == 0  # not yet
    Run.objects.filter(pk=run.pk).update(timeout_at=clock.now() - timedelta(seconds=1))
    assert cancel_timed_out_runs() == 1

    run.refresh_from_db()
    assert run.status == RunStatus.CANCELLED
    assert "timeouts.start" in run.error["message"]
    assert not run.queue_items.exists()
