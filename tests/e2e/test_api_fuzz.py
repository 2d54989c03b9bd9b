"""Hostile input against our own OpenAPI schema (schemathesis): whatever the API is sent, it
answers with a clear 4xx, never a server error. A server of its own, so the random actions
(cancels, bulk actions, invokes) touch nobody else's runs."""

from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from tests.harness import SIGNING_KEY, STAGING, DevServer, SdkApp

AUTH = {"Authorization": f"Bearer {SIGNING_KEY}"} if STAGING else {}


@pytest.fixture(scope="module")
def fuzzed_server(tmp_path_factory: pytest.TempPathFactory, artifacts: Path) -> Iterator[DevServer]:
    work = tmp_path_factory.mktemp("fuzz")
    server = DevServer(work, name="fuzz")
    app = SdkApp("py", server.url, work, app_id="fuzz-app", env={"LIFECYCLE_FUNCTIONS": "0"})
    server.sdk_urls = [app.url]
    app.start()
    server.start()
    try:
        server.wait_synced(app, 1)
        server.send({"name": app.event("multi"), "data": {}})
        yield server
    finally:
        server.stop()
        app.process.stop()
        for path in work.glob("*.log"):
            (artifacts / f"fuzz-{path.name}").write_bytes(path.read_bytes())


@pytest.fixture(scope="module")
def api_schema(fuzzed_server: DevServer) -> schemathesis.BaseSchema:
    # The schema's paths carry the /api prefix; requests go to the server it was loaded from.
    return schemathesis.openapi.from_url(f"{fuzzed_server.url}/api/openapi.json", headers=AUTH)


def test_the_api_never_answers_with_a_server_error(api_schema: schemathesis.BaseSchema) -> None:
    failures = []
    calls = []
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 20  # every endpoint of the schema is exercised
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=15,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def answers_without_a_server_error(case: schemathesis.Case) -> None:
            response = case.call(headers=AUTH, timeout=30)
            calls.append(response.status_code)
            case.validate_response(response, checks=[not_a_server_error])

        try:
            answers_without_a_server_error()
        except Exception as exc:  # noqa: BLE001 - collect every operation's failure
            failures.append(f"{operation.label}: {exc}")
    assert not failures, "\n\n".join(failures)
    assert len(calls) >= 5 * len(operations)  # the examples really reached the server
