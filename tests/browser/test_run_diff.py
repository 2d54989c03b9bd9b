"""The run diff after real runs of the official Python SDK app (tests/apps/python_app.py,
`fails-once`): from a failed run's page, "Compare with the last successful run" opens the two
side by side, the differing steps marked and their changed JSON lines highlighted."""

import re
import uuid

from playwright.sync_api import Page, expect

from tests.harness import TERMINAL, DevServer, wait_until


def _ended(server: DevServer, key: str) -> dict:
    [sent] = server.send({"name": "py-app/failsonce", "data": {"key": key}})
    run_id = wait_until(lambda: server.runs_for_event(sent), 30, "a run")[0]["run_id"]
    return wait_until(lambda: (r := server.run(run_id))["status"] in TERMINAL and r, 60, "end")


def test_a_failed_run_compared_with_the_last_successful_one(server: DevServer, page: Page):
    first, second = (f"diff-{uuid.uuid4().hex[:8]}" for _ in range(2))
    assert _ended(server, first)["status"] == "Failed"  # each new key fails once, then works
    good = _ended(server, first)
    assert good["status"] == "Completed"
    bad = _ended(server, second)
    assert bad["status"] == "Failed"

    page.goto(f"{server.url}/runs/{bad['id']}/")
    page.locator("#compare-last-success").click()
    page.wait_for_url(f"**/runs/{good['id']}/diff/{bad['id']}")
    expect(page.locator("#diff-summary")).to_contain_text("2 of 2 steps differ")
    prepare = page.locator('tbody.diff-step[data-step="prepare"]')
    # A duration counts only when twice as long and 100 ms more: a slow worker may add it.
    expect(prepare).to_have_attribute("data-differs", re.compile(r"^output(,duration_ms)?$"))
    expect(prepare.locator("pre.jdiff span.removed")).to_contain_text(first)
    expect(prepare.locator("pre.jdiff span.added")).to_contain_text(second)
    charge = page.locator('tbody.diff-step[data-step="charge"]')
    expect(charge).to_have_attribute(
        "data-differs", re.compile(r"^output,error,status(,duration_ms)?$")
    )
    expect(charge.locator('tr[data-field="error"] span.added').first).to_be_visible()
    expect(page.locator("#diff-run tr[data-field='event data'] span.added")).to_contain_text(second)

    api = server.http.get(f"/api/runs/{good['id']}/diff/{bad['id']}").json()
    assert api["differing_steps"] == 2
