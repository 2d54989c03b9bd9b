"""The runs list in a real browser against the official SDK apps: function and status first,
a duration column and switchable times, a one-line filter bar, a rejected CEL filter that shows
its error and no rows, and checkbox selections that survive the live refresh."""

import re
import uuid
from urllib.parse import urlencode

from playwright.sync_api import Page, expect

from tests.harness import DevServer, SdkApp, wait_until

BAD_FILTER = "output.total =="


def _live(page: Page) -> None:
    expect(page.locator("#live-dot.on")).to_be_visible()


def _sleeping(server: DevServer, app: SdkApp, batch: str, count: int, total: int = 0) -> list[str]:
    """Start `count` runs of the sleepy function, asleep for minutes and tagged with `batch`;
    wait until `total` (default `count`) runs of the batch sleep; their ids, newest first."""
    data = {"seconds": 240, "batch": batch}
    server.send([{"name": app.event("sleep"), "data": data} for _ in range(count)])
    selector = {"function": app.slug("sleepy"), "if": f'event.data.batch == "{batch}"'}
    total = total or count

    def asleep() -> list[str] | None:
        runs = server.runs_matching(**selector, status="Sleeping", limit=100)
        return [r["id"] for r in runs] if len(runs) == total else None

    return wait_until(asleep, 120, f"{total} runs to sleep")


def test_runs_list_overview(server: DevServer, shared: dict, page: Page):
    py_app: SdkApp = shared["apps"]["py"]
    js_app: SdkApp = shared["apps"]["js4"]
    tag = uuid.uuid4().hex[:8]
    done = server.send([{"name": py_app.event("multi"), "data": {"tag": tag}}] * 3)
    js_done = server.send({"name": js_app.event("input"), "data": {"n": 4}})
    failed = server.send({"name": py_app.event("failsonce"), "data": {"key": tag}})
    waiting = server.send({"name": py_app.event("await"), "data": {"key": tag, "timeout": 240}})
    _sleeping(server, py_app, tag, 2)
    for event_id in done:
        server.wait_run(event_id, py_app.slug("multi-step"), timeout=90)
    server.wait_run(js_done[0], js_app.slug("with-input"), timeout=90)
    server.wait_run(failed[0], py_app.slug("fails-once"), timeout=90)
    server.wait_run(waiting[0], py_app.slug("await-signal"), {"Waiting"}, timeout=90)

    page.goto(f"{server.url}/runs/")
    headers = page.locator("#runs-table thead th").all_inner_texts()
    assert [h.strip() for h in headers] == [
        "",
        "Function",
        "Status",
        "Queued",
        "Duration",
        "Trigger",
        "Run",
    ]
    for status in ("Completed", "Failed", "Sleeping", "Waiting"):
        expect(page.locator(f'#runs-rows tr[data-status="{status}"]').first).to_be_visible()
    completed = page.locator('#runs-rows tr[data-status="Completed"]').first
    assert re.fullmatch(r"\d+ ms|\d+\.\d s", completed.locator("td.duration").inner_text())
    stamp = completed.locator("time[data-t]")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d.*", stamp.get_attribute("datetime") or "")
    # Nobody chose a time mode: the list reads relative ("12 s ago"), the full time in the title.
    expect(stamp).to_have_text(re.compile(r"^(just now|\d+ (s|min|h) ago)$"))
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", stamp.get_attribute("title") or "")
    # A compact filter bar: one line at desktop width, and the CEL label on a single line.
    bar = page.locator("#run-filters").bounding_box()
    field = page.locator("#run-filters select[name=status]").bounding_box()
    assert bar and field and bar["height"] < field["height"] * 2.5
    label_lines = page.evaluate(
        "() => { const r = document.createRange();"
        " r.selectNodeContents(document.querySelector('#run-filters label.cel').firstChild);"
        " return r.getClientRects().length; }"
    )
    assert label_lines == 1


def test_an_invalid_cel_filter_shows_an_error_and_no_rows(server: DevServer, shared: dict, page):
    py_app: SdkApp = shared["apps"]["py"]
    [event_id] = server.send({"name": py_app.event("multi")})
    server.wait_run(event_id, py_app.slug("multi-step"), timeout=90)
    page.goto(f"{server.url}/runs/?{urlencode({'if': BAD_FILTER})}")
    expect(page.locator("#filter-error")).to_contain_text("invalid expression")
    expect(page.locator('#run-filters input[name="if"]')).to_have_value(BAD_FILTER)
    expect(page.locator("#runs-rows tr[data-run-id]")).to_have_count(0)
    expect(page.locator("#runs-rows")).to_contain_text("fix the filter")
    # The live fragment, asked directly, holds no rows either.
    query = urlencode({"if": BAD_FILTER, "fragment": "rows"})
    fragment = page.request.get(f"{server.url}/runs/?{query}").text()
    assert "data-run-id" not in fragment


def test_selected_runs_stay_selected_across_a_live_refresh(server: DevServer, shared, page):
    py_app: SdkApp = shared["apps"]["py"]
    batch = uuid.uuid4().hex[:8]
    ids = _sleeping(server, py_app, batch, 3)
    query = urlencode({"function": py_app.slug("sleepy"), "if": f'event.data.batch == "{batch}"'})
    page.goto(f"{server.url}/runs/?{query}")
    _live(page)
    rows = page.locator("#runs-rows tr[data-run-id]")
    expect(rows).to_have_count(3)
    for run_id in ids[:2]:
        page.locator(f'tr[data-run-id="{run_id}"] input.pick-run').check()
    expect(page.locator("#selected-count")).to_have_text("2")

    [new_id] = set(_sleeping(server, py_app, batch, 1, total=4)) - set(ids)
    expect(page.locator(f'tr[data-run-id="{new_id}"]')).to_be_visible()  # a live refresh
    for run_id in ids[:2]:
        expect(page.locator(f'tr[data-run-id="{run_id}"] input.pick-run')).to_be_checked()
    expect(page.locator(f'tr[data-run-id="{ids[2]}"] input.pick-run')).not_to_be_checked()
    expect(page.locator(f'tr[data-run-id="{new_id}"] input.pick-run')).not_to_be_checked()
    expect(page.locator("#selected-count")).to_have_text("2")
