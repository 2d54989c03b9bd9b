"""Bulk actions on runs chosen one by one (the runs list's checkboxes): the preview holds
exactly those runs, leaves out and names the ineligible ones, a "chosen" request with no ids
never widens to the filter, and the progress fragment shows the runs' statuses as they are,
so "N of N done" never sits beside rows that still read Sleeping."""

import re
from datetime import timedelta
from io import StringIO

from django.core.management import call_command
from django.test import Client

from foundation import clock
from runs import bulk
from runs.models import BulkAction, BulkKind, Run, RunOrigin
from runs.selectors import RunSelector
from runs.statuses import BulkStatus, RunStatus
from tests.integration.drive import run_until_quiet, send_event
from tests.integration.fake_sdk import FakeSdk, errored, ops, sleep


def _sleeping_runs(fake_sdk: FakeSdk, count: int) -> list[str]:
    until = (clock.now() + timedelta(hours=1)).isoformat()
    fake_sdk.add_function("fake-sleepy", lambda _: ops(sleep("nap", until)))
    fake_sdk.sync()
    ids = [run.id for i in range(count) for run in send_event("test/go", {"i": i})]
    run_until_quiet()
    assert set(Run.objects.filter(pk__in=ids).values_list("status", flat=True)) == {
        RunStatus.SLEEPING
    }
    return ids


def _failed_runs(fake_sdk: FakeSdk, count: int) -> list[str]:
    fake_sdk.add_function(
        "fake-fails", lambda _: errored("broken", no_retry=True), event="test/fail"
    )
    fake_sdk.sync()
    ids = [run.id for i in range(count) for run in send_event("test/fail", {"i": i})]
    run_until_quiet()
    return ids


def test_a_bulk_cancel_of_chosen_runs_cancels_exactly_those(fake_sdk: FakeSdk):
    ids = _sleeping_runs(fake_sdk, 5)
    chosen = ids[1:4]
    slug = fake_sdk.function("fake-sleepy").slug
    form = {"kind": "cancel", "scope": "chosen", "ids": ",".join(chosen), "function": slug}
    answer = Client().post("/bulk/prepare", form)
    action = BulkAction.objects.get()
    assert answer.status_code == 302 and answer.url == f"/bulk/{action.pk}/"
    assert sorted(action.run_ids) == sorted(chosen)

    preview = Client().get(f"/bulk/{action.pk}/").content.decode()
    assert sorted(re.findall(r'<tr data-run-id="(\w+)"', preview)) == sorted(chosen)
    assert 'id="bulk-selector">3 chosen runs</span>' in preview  # not the list's filter
    assert 'class="destructive" id="bulk-confirm"' in preview

    assert bulk.confirm(action)
    bulk.execute(action.pk)
    statuses = dict(Run.objects.filter(pk__in=ids).values_list("id", "status"))
    assert {statuses[i] for i in chosen} == {RunStatus.CANCELLED}
    assert {statuses[i] for i in ids if i not in chosen} == {RunStatus.SLEEPING}


def test_the_progress_fragment_shows_the_runs_as_they_are_now(fake_sdk: FakeSdk):
    ids = _sleeping_runs(fake_sdk, 4)
    action = bulk.prepare(BulkKind.CANCEL, RunSelector(run_ids=",".join(ids)), "ada")
    assert bulk.confirm(action)
    bulk.execute(action.pk)

    fragment = Client().get(f"/bulk/{action.pk}/", {"fragment": "progress"}).content.decode()
    assert re.search(r'id="bulk-done">4</span> of 4 done', fragment)
    rows = dict(re.findall(r'<tr data-run-id="(\w+)" data-status="(\w+)"', fragment))
    assert rows == {run_id: RunStatus.CANCELLED for run_id in ids}


def test_chosen_runs_that_do_not_qualify_are_left_out_and_named(fake_sdk: FakeSdk):
    failed = _failed_runs(fake_sdk, 2)
    sleeping = _sleeping_runs(fake_sdk, 1)
    selector = RunSelector(run_ids=",".join(failed + sleeping))
    action = bulk.prepare(BulkKind.RETRY, selector, "ada")
    assert sorted(action.run_ids) == sorted(failed)
    assert bulk.not_eligible(action) == sleeping

    assert bulk.confirm(action)
    bulk.execute(action.pk)
    retried = Run.objects.filter(origin=RunOrigin.RETRY).values_list("source_run_id", flat=True)
    assert sorted(retried) == sorted(failed)
    fragment = Client().get(f"/bulk/{action.pk}/", {"fragment": "progress"}).content.decode()
    assert fragment.count("retry run</a>") == 2


def test_chosen_with_no_runs_never_widens_to_the_whole_filter(fake_sdk: FakeSdk):
    _sleeping_runs(fake_sdk, 2)
    answer = Client().post("/bulk/prepare", {"kind": "cancel", "scope": "chosen", "ids": ""})
    assert answer.status_code == 302 and answer.url == "/bulk/"
    assert not BulkAction.objects.exists()


def test_select_all_matching_hands_the_filter_to_the_action(fake_sdk: FakeSdk):
    ids = _sleeping_runs(fake_sdk, 3)
    slug = fake_sdk.function("fake-sleepy").slug
    Client().post("/bulk/prepare", {"kind": "cancel", "scope": "filter", "function": slug})
    action = BulkAction.objects.get()
    assert sorted(action.run_ids) == sorted(ids) and action.status == BulkStatus.PREVIEW
    assert RunSelector.from_stored(action.selector).in_words() == f"function {slug}"


def test_the_api_takes_run_ids_and_says_the_selector_in_words(fake_sdk: FakeSdk):
    ids = _failed_runs(fake_sdk, 3)
    answer = Client().post(
        "/api/bulk",
        {"kind": "replay", "run_ids": ids[:2]},
        content_type="application/json",
    )
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert sorted(body["run_ids"]) == sorted(ids[:2])
    assert body["description"] == "2 chosen runs"


def test_the_command_takes_run_ids(fake_sdk: FakeSdk):
    ids = _sleeping_runs(fake_sdk, 3)
    out = StringIO()
    call_command("bulk", "cancel", "--ids", ",".join(ids[:2]), "--yes", stdout=out)
    assert "runs: 2 chosen runs" in out.getvalue()
    statuses = dict(Run.objects.filter(pk__in=ids).values_list("id", "status"))
    assert [statuses[i] for i in ids] == [RunStatus.CANCELLED] * 2 + [RunStatus.SLEEPING]
