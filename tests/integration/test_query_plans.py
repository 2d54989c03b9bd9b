"""The lookups of the busiest tables are served by an index. The tables carry as few indexes as
their lookups need (each one is written on every step, status change or run: migration 0019
dropped those a composite index already leads with), so this holds each lookup to an index
that exists: on SQLite its plan searches one; on Postgres, with sequential scans priced out,
its plan uses one (on tables this small the planner would scan them either way)."""

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.db.models import QuerySet

from runs.models import Run, StatusChange, Step

pytestmark = pytest.mark.django_db

LOOKUPS = {
    "a run's steps": lambda: Step.objects.filter(run_id="01RUN"),
    "a run's status history": lambda: StatusChange.objects.filter(run_id="01RUN"),
    "a bulk action's status history": lambda: StatusChange.objects.filter(bulk_id=1),
    "runs a step invoked": lambda: Run.objects.filter(invoked_by_id=1),
    "runs replayed from a run": lambda: Run.objects.filter(source_run_id="01RUN"),
    "a function's newest runs": lambda: Run.objects.filter(function_id=1).order_by("-id")[:50],
    "newest runs in a status": lambda: Run.objects.filter(status="Running").order_by("-id")[:50],
    "runs past their timeout": lambda: Run.objects.filter(
        status="Running", timeout_at__lt=datetime(2026, 1, 1, tzinfo=UTC)
    ),
}


@pytest.mark.parametrize("lookup", list(LOOKUPS))
def test_the_lookup_uses_an_index(lookup: str) -> None:
    plan = _plan(LOOKUPS[lookup]())
    if connection.vendor == "sqlite":
        assert "USING" in plan and "INDEX" in plan, plan
        assert "SCAN " not in plan.replace("USING INDEX", ""), plan
    else:
        assert "Index" in plan, plan


def _plan(queryset: QuerySet) -> str:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")  # the test's transaction only
    return queryset.explain()
