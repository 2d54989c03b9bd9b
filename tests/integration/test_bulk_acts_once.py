"""Bulk actions act at most once per run and are audited once: two operators who preview the
same clean-up and confirm at the same time retry each failed run once (it used to be twice),
and confirming an action a second time neither starts nor audits it again."""

import threading

from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import connections
from django.test import Client

from console.models import AuditEntry
from runs import bulk
from runs.models import BulkAction, BulkKind, Run, RunOrigin
from runs.selectors import RunSelector
from runs.statuses import BulkStatus, RunStatus
from tests.integration.drive import run_until_quiet, send_event
from tests.integration.fake_sdk import FakeSdk, errored

FAILED_RUNS = 5


def _failed_runs(fake_sdk: FakeSdk) -> list[Run]:
    fake_sdk.add_function("fake-fails", lambda _: errored("broken", no_retry=True))
    fake_sdk.sync()
    runs = [run for i in range(FAILED_RUNS) for run in send_event("test/go", {"i": i})]
    run_until_quiet()
    assert all(
        r.status == RunStatus.FAILED for r in Run.objects.filter(pk__in=[r.pk for r in runs])
    )
    return runs


def _execute_together(action_ids: list[int]) -> None:
    start = threading.Barrier(len(action_ids))

    def work(action_id: int) -> None:
        try:
            start.wait()
            bulk.execute(action_id)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(a,)) for a in action_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)


def test_two_retries_of_the_same_runs_confirmed_together_retry_each_run_once(fake_sdk: FakeSdk):
    runs = _failed_runs(fake_sdk)
    selector = RunSelector(function=fake_sdk.function("fake-fails").slug)
    first = bulk.prepare(BulkKind.RETRY, selector, "ada")
    second = bulk.prepare(BulkKind.RETRY, selector, "grace")
    assert first.total == second.total == FAILED_RUNS
    assert bulk.confirm(first) and bulk.confirm(second)

    _execute_together([first.pk, second.pk])

    retries = Run.objects.filter(source_run__in=runs, origin=RunOrigin.RETRY)
    assert sorted(retries.values_list("source_run_id", flat=True)) == sorted(r.pk for r in runs)
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == second.status == BulkStatus.COMPLETED
    assert first.done + second.done == FAILED_RUNS
    assert first.skipped + second.skipped == FAILED_RUNS


def test_confirming_an_action_twice_starts_and_audits_it_once(fake_sdk: FakeSdk):
    _failed_runs(fake_sdk)
    call_command("console_user", "oper", "--password", "pw-oper", "--operator")
    client = Client(enforce_csrf_checks=False)
    client.force_login(User.objects.get(username="oper"))
    answer = client.post(
        "/api/bulk", {"kind": "retry", "status": "Failed"}, content_type="application/json"
    )
    assert answer.status_code == 201, answer.content
    action_id = answer.json()["id"]

    for _ in range(2):
        assert client.post(f"/api/bulk/{action_id}/confirm").status_code == 200

    assert BulkAction.objects.get(pk=action_id).status == BulkStatus.QUEUED
    assert AuditEntry.objects.filter(action="bulk.confirm", target=str(action_id)).count() == 1
