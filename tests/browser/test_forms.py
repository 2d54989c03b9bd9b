"""The send-event and invoke forms in Chromium against the shared server and the official Python
SDK app: what was typed survives an error, known event names are templates that fill the JSON,
"Format JSON", and after sending, the runs the event started appear as they start."""

import json
import uuid

import pytest
from playwright.sync_api import Page, expect

from tests.harness import DevServer, SdkApp


@pytest.fixture
def py_app(shared: dict) -> SdkApp:
    return shared["apps"]["py"]


def _live(page: Page) -> None:
    expect(page.locator("#live-dot.on")).to_be_visible()


def _template(page: Page, name: str):
    return page.locator(f'#event-templates button.template:text-is("{name}")')


def test_a_failed_send_keeps_what_was_typed(server: DevServer, py_app: SdkApp, page: Page):
    page.goto(f"{server.url}/events/send/")
    typed = json.dumps({"name": py_app.event("multi")})[:-1] + ', "data": {"half": '

    editor = page.locator("#event-body")
    editor.fill(typed)
    page.locator("#send-event").click()
    expect(page.locator("#send-error")).to_contain_text("Invalid JSON")
    expect(editor).to_have_value(typed)

    no_name = '{"data": {"kept": true}}'
    editor.fill(no_name)
    editor.press("Control+Enter")
    expect(page.locator("#send-error")).to_contain_text("name")
    expect(editor).to_have_value(no_name)


def test_known_event_names_fill_the_editor_and_format_json_indents_it(
    server: DevServer, py_app: SdkApp, page: Page
):
    tag = uuid.uuid4().hex
    server.send({"name": py_app.event("if"), "data": {"amount": 3, "tag": tag}})
    page.goto(f"{server.url}/events/send/")
    editor = page.locator("#event-body")

    _template(page, py_app.event("multi")).click()  # a synced function's trigger
    assert json.loads(editor.input_value())["name"] == py_app.event("multi")
    _template(page, py_app.event("if")).click()  # with the latest data seen for it
    assert json.loads(editor.input_value()) == {
        "name": py_app.event("if"),
        "data": {"amount": 3, "tag": tag},
    }

    editor.fill('{"name":"a/b","data":{"x":[1,2]}}')
    page.locator("#format-json").click()
    expect(editor).to_have_value(
        '{\n  "name": "a/b",\n  "data": {\n    "x": [\n      1,\n      2\n    ]\n  }\n}'
    )
    editor.fill('{"name": "a/b",')
    page.locator("#format-json").click()
    expect(page.locator("#format-error")).to_contain_text("Not valid JSON")
    expect(editor).to_have_value('{"name": "a/b",')


def test_after_sending_the_runs_the_event_starts_appear_as_they_start(
    server: DevServer, py_app: SdkApp, page: Page
):
    """A debounced function starts its run seconds after the event: the result lists it then."""
    page.goto(f"{server.url}/events/send/")
    _live(page)
    body = {"name": py_app.event("debounce"), "data": {"user": uuid.uuid4().hex, "n": 7}}
    page.locator("#event-body").fill(json.dumps(body))
    page.locator("#send-event").click()
    expect(page.locator("#send-ok")).to_contain_text("Sent 1 event")
    event_id = page.locator("#send-ok a.sent-event-link").inner_text()
    runs = page.locator(".sent-runs li[data-run-id]")
    expect(page.locator(".sent-runs .no-runs")).to_be_visible()  # held by the debounce

    expect(runs).to_have_count(1, timeout=30_000)
    expect(runs.first).to_have_attribute("data-status", "Completed", timeout=30_000)
    [run] = server.runs_for_event(event_id)
    assert run["function_id"] == py_app.slug("debounced")
    expect(runs.first.locator("a")).to_have_attribute("href", f"/runs/{run['run_id']}/")


def test_the_invoke_form_keeps_what_was_typed_and_offers_the_latest_data(
    server: DevServer, py_app: SdkApp, page: Page
):
    tag = uuid.uuid4().hex
    [seen] = server.send({"name": py_app.event("multi"), "data": {"tag": tag}})
    server.wait_run(seen, py_app.slug("multi-step"))
    page.goto(f"{server.url}/functions/{py_app.slug('multi-step')}/")
    editor = page.locator("#invoke-data")

    editor.fill('{"via": "form", ')
    page.locator("#invoke").click()
    expect(page.locator("#invoke-error")).to_contain_text("not valid JSON")
    expect(editor).to_have_value('{"via": "form", ')
    editor.fill("[1, 2]")
    editor.press("Control+Enter")
    expect(page.locator("#invoke-error")).to_contain_text("must be a JSON object")
    expect(editor).to_have_value("[1, 2]")

    page.locator(f'#invoke-templates button:text-is("{py_app.event("multi")}")').click()
    assert json.loads(editor.input_value()) == {"tag": tag}
    editor.fill(json.dumps({"via": "invoke", "tag": tag}, separators=(",", ":")))
    page.locator("#format-invoke-json").click()
    expect(editor).to_have_value(json.dumps({"via": "invoke", "tag": tag}, indent=2))
    page.locator("#invoke").click()
    page.wait_for_url("**/runs/*/")
    run_id = page.url.rstrip("/").rsplit("/", 1)[-1]
    expect(page.locator("#run-status")).to_have_text("Completed", timeout=30_000)
    output = server.run(run_id)["output"]["event"]
    assert (output["via"], output["tag"]) == ("invoke", tag)
