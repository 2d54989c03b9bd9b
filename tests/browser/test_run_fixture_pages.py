"""Runs as test fixtures in the browser, after a real failed run of the official Python SDK app
(tests/apps/python_app.py, `fails-once`): the run page's "Export as test fixture" downloads the
fixture; the runs page's "Import a run" form takes the file back and opens the imported run,
marked with its source; "Retry from the failed step" then runs it against the app."""

import json
import uuid
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.harness import TERMINAL, DevServer, wait_until
from tests.servers import ARTIFACTS


def test_a_run_exported_from_its_page_and_imported_from_the_runs_page_is_retried(
    server: DevServer, page: Page, tmp_path: Path
):
    [sent] = server.send({"name": "py-app/failsonce", "data": {"key": f"fx-{uuid.uuid4().hex}"}})
    run_id = wait_until(lambda: server.runs_for_event(sent), 30, "a run")[0]["run_id"]
    failed = wait_until(lambda: (r := server.run(run_id))["status"] in TERMINAL and r, 60, "end")
    assert failed["status"] == "Failed"

    page.goto(f"{server.url}/runs/{run_id}/")
    with page.expect_download() as download:
        page.locator("#export-fixture").click()
    path = tmp_path / download.value.suggested_filename
    download.value.save_as(path)
    fixture = json.loads(path.read_text())
    assert fixture["run"]["id"] == run_id and fixture["run"]["status"] == "Failed"
    assert path.name == f"run-py-app-fails-once-{run_id}.json"

    page.goto(f"{server.url}/runs/")
    page.locator("#import-fixture summary").click()
    page.locator("#fixture-file").set_input_files(path)
    page.locator("#import-run").click()
    page.wait_for_url(f"{server.url}/runs/*/")
    imported_id = page.url.rstrip("/").rsplit("/", 1)[-1]
    assert imported_id != run_id
    expect(page.locator(".messages")).to_contain_text(f"Imported run {run_id} from {server.url}")
    expect(page.locator("#run-status")).to_have_text("Failed")
    expect(page.locator('#run-metadata [data-kind="devserver.imported"]')).to_contain_text(
        server.url
    )
    shots = ARTIFACTS / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(shots / "run-fixture-imported.png"), full_page=True)

    page.locator("#retry-run").click()
    page.locator("#confirm-fork").click()
    page.wait_for_url(lambda url: f"/runs/{imported_id}/" not in url and "/fork" not in url)
    retry_id = page.url.rstrip("/").rsplit("/", 1)[-1]
    retried = wait_until(
        lambda: (r := server.run(retry_id))["status"] in TERMINAL and r, 60, "the retry to end"
    )
    assert retried["status"] == "Completed"  # fails-once: the key failed once already
    expect(page.locator("#source-run")).to_have_text(imported_id)
