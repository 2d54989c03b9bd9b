"""Bulk actions started from the runs list in a real browser against the official SDK apps:
tick runs (or select all matching the filter), preview exactly those runs with the selector
in words, confirm (a cancel looks destructive), and watch progress and rows agree."""

import uuid
from urllib.parse import urlencode

from playwright.sync_api import Page, expect

from tests.browser.test_runs_list import _sleeping
from tests.harness import DevServer, SdkApp, wait_until

RED = "rgb(224, 49, 49)"  # --failed in app.css


def _open_list(page: Page, server: DevServer, **filters: str) -> None:
    page.goto(f"{server.url}/runs/?{urlencode(filters)}")
    expect(page.locator("#live-dot.on")).to_be_visible()


def _preview_ids(page: Page) -> set[str]:
    rows = page.locator("#bulk-runs tbody tr[data-run-id]")
    return {rows.nth(i).get_attribute("data-run-id") or "" for i in range(rows.count())}


def test_bulk_cancel_of_ticked_runs_cancels_exactly_those(
    server: DevServer, shared: dict, page: Page
):
    py_app: SdkApp = shared["apps"]["py"]
    batch = uuid.uuid4().hex[:8]
    ids = _sleeping(server, py_app, batch, 4)
    _open_list(
        page, server, function=py_app.slug("sleepy"), **{"if": f'event.data.batch == "{batch}"'}
    )
    expect(page.locator("#bulk-bar")).to_be_hidden()
    chosen = ids[:2]
    for run_id in chosen:
        page.locator(f'tr[data-run-id="{run_id}"] input.pick-run').check()
    expect(page.locator("#selected-count")).to_have_text("2")
    page.locator("#bulk-cancel").click()

    expect(page.locator("#bulk-selector")).to_have_text("2 chosen runs")
    expect(page.locator("#bulk-count")).to_contain_text("2 runs match")
    assert _preview_ids(page) == set(chosen)
    confirm = page.locator("#bulk-confirm")
    expect(confirm).to_have_text("Cancel 2 runs")
    expect(confirm).to_have_css("background-color", RED)
    confirm.click()

    expect(page.locator("#bulk-status")).to_have_text("Completed", timeout=60_000)
    # Progress and rows come from one fragment: when it says done, the rows say Cancelled.
    expect(page.locator("#bulk-done")).to_have_text("2")
    for run_id in chosen:
        expect(page.locator(f'#bulk-runs tr[data-run-id="{run_id}"]')).to_have_attribute(
            "data-status", "Cancelled"
        )
    statuses = {run_id: server.run(run_id)["status"] for run_id in ids}
    assert statuses == {**dict.fromkeys(ids, "Sleeping"), **dict.fromkeys(chosen, "Cancelled")}


def test_select_all_matching_the_filter_retries_every_failed_run(
    server: DevServer, shared: dict, page: Page
):
    py_app: SdkApp = shared["apps"]["py"]
    batch = uuid.uuid4().hex[:8]
    events = [
        {"name": py_app.event("failsonce"), "data": {"key": f"{batch}-{i}", "batch": batch}}
        for i in range(3)
    ]
    failed = [
        server.wait_run(e, py_app.slug("fails-once"), timeout=90)["id"] for e in server.send(events)
    ]
    cel = f'event.data.batch == "{batch}"'
    _open_list(page, server, status="Failed", function=py_app.slug("fails-once"), **{"if": cel})
    expect(page.locator("#runs-rows tr[data-run-id]")).to_have_count(3)
    page.locator("#select-page").check()
    expect(page.locator("#selected-count")).to_have_text("3")
    page.locator("#select-all-matching").click()
    expect(page.locator("#all-matching")).to_contain_text(cel)
    page.locator("#bulk-retry").click()

    words = f"status is Failed, function {py_app.slug('fails-once')}, matching {cel}"
    expect(page.locator("#bulk-selector")).to_have_text(words)
    assert _preview_ids(page) == set(failed)
    expect(page.locator("#bulk-confirm")).not_to_have_css("background-color", RED)
    page.locator("#bulk-confirm").click()
    expect(page.locator("#bulk-status")).to_have_text("Completed", timeout=60_000)
    expect(page.locator("#bulk-runs td.result a")).to_have_count(3)
    expect(page.locator("#bulk-runs td.result .status-completed")).to_have_count(3, timeout=30_000)

    page.goto(f"{server.url}/bulk/")
    history = page.locator("#bulk-history tbody tr").first
    expect(history.locator(".selector-words")).to_have_text(words)
    assert "{" not in history.inner_text()


def test_bulk_replay_of_ticked_completed_runs(server: DevServer, shared: dict, page: Page):
    js_app: SdkApp = shared["apps"]["js3"]
    batch = uuid.uuid4().hex[:8]
    events = server.send([{"name": js_app.event("multi"), "data": {"batch": batch}}] * 2)
    done = [server.wait_run(e, js_app.slug("multi-step"), timeout=90)["id"] for e in events]
    _open_list(
        page, server, function=js_app.slug("multi-step"), **{"if": f'event.data.batch == "{batch}"'}
    )
    page.locator("#select-page").check()
    page.locator("#bulk-replay").click()
    assert _preview_ids(page) == set(done)
    expect(page.locator("#bulk-confirm")).to_have_text("Replay 2 runs")
    page.locator("#bulk-confirm").click()
    expect(page.locator("#bulk-status")).to_have_text("Completed", timeout=60_000)
    replays = page.locator("#bulk-runs td.result a")
    expect(replays).to_have_count(2)
    expect(page.locator("#bulk-runs td.result .status-completed")).to_have_count(2, timeout=30_000)
    wait_until(
        lambda: (
            len(
                server.runs_matching(
                    function=js_app.slug("multi-step"), **{"if": f'event.data.batch == "{batch}"'}
                )
            )
            == 4
        ),
        30,
        "the two replays to be listed",
    )
