"""A run's defers on its run page, in a real browser: a JS 4.x run (npm `inngest` 4.24.0,
tests/apps/js/defer_app.mjs) that deferred "score" and aborted "skipped" lists both in the run's
panel, with the deferred function, "scheduled" and a link to the run it started, and
"aborted"; `GET /api/runs/{id}` returns the same."""

from playwright.sync_api import Page, expect

from tests.e2e.test_defer import SCORER, defer_app  # noqa: F401 - the app's fixture
from tests.harness import DevServer, wait_until


def test_the_run_panel_lists_its_defers_with_the_run_each_started(
    server: DevServer,
    defer_app: str,  # noqa: F811 - the fixture imported above
    page: Page,
):
    [event_id] = server.send({"name": f"{defer_app}/defer", "data": {"user": "grace"}})
    parent = server.wait_run(event_id, f"{defer_app}-defer", timeout=60)
    assert parent["status"] == "Completed", parent
    defers = wait_until(
        lambda: [d for d in server.run(parent["id"])["defers"] if d["run_id"]],
        60,
        "the deferred run to start",
    )
    [scheduled] = defers
    assert (scheduled["id"], scheduled["function"], scheduled["status"]) == (
        "score",
        SCORER,
        "scheduled",
    )
    by_id = {d["id"]: d for d in server.run(parent["id"])["defers"]}
    assert by_id["skipped"]["status"] == "aborted" and not by_id["skipped"]["run_id"]

    page.goto(f"{server.url}/runs/{parent['id']}/")
    table = page.locator("#run-defers")
    score = table.locator(f'tr[data-defer="{scheduled["hashed_id"]}"]')
    expect(score).to_contain_text("score")
    expect(score).to_contain_text(SCORER)
    expect(score).to_contain_text("scheduled")
    skipped = table.locator(f'tr[data-defer="{by_id["skipped"]["hashed_id"]}"]')
    expect(skipped).to_contain_text("skipped")
    expect(skipped).to_contain_text("aborted")
    score.locator(f'a[href$="/runs/{scheduled["run_id"]}/"]').click()
    expect(page).to_have_url(f"{server.url}/runs/{scheduled['run_id']}/")
    expect(page.locator("body")).to_contain_text(SCORER)
