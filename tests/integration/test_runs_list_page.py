"""The runs list page and its live fragment: function and status first, a duration, times in
the markup the time switch reformats, and a rejected CEL filter that shows its error and no
rows (the live fragment once fell back to the unfiltered list)."""

import re

from django.test import Client

from runs.models import RunStatus
from tests.integration.drive import run_until_quiet, send_event
from tests.integration.fake_sdk import FakeSdk, completed

BAD_FILTER = "output.total =="


def _completed_runs(fake_sdk: FakeSdk, count: int) -> list[str]:
    fake_sdk.add_function("fake-done", lambda _: completed({"total": 3}))
    fake_sdk.sync()
    ids = [run.id for i in range(count) for run in send_event("test/go", {"i": i})]
    run_until_quiet()
    return ids


def _live_url(html: str) -> str:
    match = re.search(r'<tbody id="runs-rows"[^>]*hx-get="([^"]+)"', html)
    assert match, "the first page refreshes its rows live"
    return match.group(1).replace("&amp;", "&")


def test_rows_show_the_function_and_status_first_a_duration_and_switchable_times(
    fake_sdk: FakeSdk,
):
    [run_id] = _completed_runs(fake_sdk, 1)
    html = Client().get("/runs/").content.decode()
    row = re.search(rf'<tr data-run-id="{run_id}".*?</tr>', html, re.S)
    assert row, html
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row.group(0), re.S)
    assert 'class="pick-run"' in cells[0]
    assert fake_sdk.function("fake-done").slug in cells[1]
    assert RunStatus.COMPLETED in cells[2]
    assert re.search(r'<time data-t datetime="\d{4}-\d\d-\d\dT[^"]+">[\d -:]+</time>', cells[3])
    assert re.fullmatch(r"\d+ ms|\d+\.\d s", cells[4].strip()), cells[4]


def test_an_invalid_cel_filter_shows_its_error_and_no_rows(fake_sdk: FakeSdk):
    ids = _completed_runs(fake_sdk, 3)
    client = Client()
    page = client.get("/runs/", {"if": BAD_FILTER})
    html = page.content.decode()
    assert page.status_code == 200
    assert 'id="filter-error"' in html and "invalid expression" in html
    assert not any(run_id in html for run_id in ids)
    assert 'id="bulk-bar"' not in html  # nothing to act on
    # Nothing refreshes it live: the live fragment's URL used to drop the rejected filter.
    assert "data-live-refresh" not in html and "data-live-socket" not in html

    fragment = client.get("/runs/", {"if": BAD_FILTER, "fragment": "rows"}).content.decode()
    assert not any(run_id in fragment for run_id in ids)
    assert "fix the filter" in fragment


def test_the_live_fragment_of_a_filtered_list_keeps_the_filter(fake_sdk: FakeSdk):
    ids = _completed_runs(fake_sdk, 2)
    client = Client()
    url = _live_url(client.get("/runs/", {"status": "Failed"}).content.decode())
    assert "status=Failed" in url
    fragment = client.get(url).content.decode()
    assert not any(run_id in fragment for run_id in ids)

    unfiltered = client.get(_live_url(client.get("/runs/").content.decode())).content.decode()
    assert all(run_id in unfiltered for run_id in ids)
