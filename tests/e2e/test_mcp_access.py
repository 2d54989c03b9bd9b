"""/mcp follows /api/'s access rules on a console with logins (staging's): no credentials is a
401, a read-only user is shown and may call the read tools only, and an operator (a login with
console.operate, or the raw signing key as a Bearer token) may act; another site's page is
refused. The official MCP Python client, against the real server."""

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.harness import SECURED_SERVER_ENV, SIGNING_KEY, DevServer
from tests.mcp_client import ToolFailed, call, tool_names


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevServer]:
    work: Path = tmp_path_factory.mktemp("mcp-access")
    server = DevServer(
        work, env={**SECURED_SERVER_ENV, "DEVSERVER_REQUIRE_LOGIN": "1"}, name="mcp-access"
    )
    server.http.headers["Authorization"] = f"Bearer {SIGNING_KEY}"
    server.start()
    try:
        assert server.manage("console_user", "reader", "--password", "pw-read").returncode == 0
        assert (
            server.manage("console_user", "boss", "--password", "pw-boss", "--operator").returncode
            == 0
        )
        yield server
    finally:
        server.stop()


def _session_cookie(server: DevServer, username: str, password: str) -> dict[str, str]:
    with httpx.Client(base_url=server.url) as browser:
        page = browser.get("/accounts/login/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        assert token, page.text[:500]
        browser.post(
            "/accounts/login/",
            data={
                "username": username,
                "password": password,
                "csrfmiddlewaretoken": token.group(1),
            },
        )
        session = browser.cookies.get("sessionid")
    assert session, f"{username} could not log in"
    return {"Cookie": f"sessionid={session}"}


def test_without_credentials_mcp_is_refused(console: DevServer):
    answer = httpx.post(f"{console.url}/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "ping"})
    assert answer.status_code == 401
    wrong = httpx.post(f"{console.url}/mcp", json={}, headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401


def test_a_read_only_user_gets_the_read_tools_only(console: DevServer):
    reader = _session_cookie(console, "reader", "pw-read")
    names = tool_names(console.url, reader)
    assert "list_runs" in names and "get_run" in names
    assert not names & {"send_event", "cancel_run", "replay_run", "invoke_function"}
    assert call(console.url, "list_runs", reader)["runs"] == []
    with pytest.raises(ToolFailed, match="needs an operator"):
        call(console.url, "send_event", reader, name="mcp/refused", data={})
    audit = console.http.get("/api/audit", params={"action": "event.send"}).json()
    assert audit == []


def test_operators_act_and_are_audited_by_name(console: DevServer):
    boss = _session_cookie(console, "boss", "pw-boss")
    assert "send_event" in tool_names(console.url, boss)
    ids = call(console.url, "send_event", boss, name="mcp/by-boss", data={"n": 1})["ids"]
    key = {"Authorization": f"Bearer {SIGNING_KEY}"}
    ids += call(console.url, "send_event", key, name="mcp/by-key", data={"n": 2})["ids"]
    audit = console.http.get("/api/audit", params={"action": "event.send"}).json()
    actors = {entry["target"]: entry["actor"] for entry in audit}
    assert actors == {ids[0]: "boss", ids[1]: "api-key"}


def test_another_sites_page_is_refused(console: DevServer):
    answer = httpx.post(
        f"{console.url}/mcp",
        json={},
        headers={"Authorization": f"Bearer {SIGNING_KEY}", "Origin": "https://evil.example"},
    )
    assert answer.status_code == 403
