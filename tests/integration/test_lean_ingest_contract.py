"""The lean `POST /e/{key}` route (devserver/ingest_route.py) answers as Django's view does.

Each request goes once through the lean route and once through Django alone (the same handler
the route passes everything else to), and the answers are compared: status, headers and, for a
refusal, the body word for word; for a stored event, the answer's shape and that the event was
stored. The route must also hand to Django what only Django answers (another method, a path
Django does not route to the view, a NUL in the URL, a Host outside ALLOWED_HOSTS)."""

import json
import uuid
from typing import Any

import pytest

from devserver.http_handler import OneHopASGIHandler
from devserver.ingest_route import LeanIngest
from events.models import Event
from tests.asgi_calls import body_of, exchange, http_scope

pytestmark = pytest.mark.django_db(transaction=True)  # the committer thread has a connection

KEY = "contract-key"
_apps: dict[str, Any] = {}


@pytest.fixture(autouse=True)
def _settings(settings: Any) -> None:
    settings.EVENT_KEYS = [KEY]
    settings.INGEST_RATE_LIMIT = 0
    settings.ALLOWED_HOSTS = ["testserver"]


def _app(kind: str) -> Any:
    if "django" not in _apps:
        _apps["django"] = OneHopASGIHandler()
        _apps["lean"] = LeanIngest(_apps["django"])
    return _apps[kind]


def _call(
    kind: str,
    body: bytes,
    path: str = f"/e/{KEY}",
    method: str = "POST",
    headers: list[tuple[bytes, bytes]] | None = None,
    query: bytes = b"",
) -> dict[str, Any]:
    scope = http_scope(method, path, headers or [(b"host", b"testserver")], query)
    sent = exchange(_app(kind), scope, [body])
    return {
        "status": sent[0]["status"],
        "headers": sorted(
            (k.decode().lower(), v.decode())
            for k, v in sent[0]["headers"]
            if k.lower() not in (b"content-length", b"expires")
        ),
        "body": body_of(sent),
    }


def _alike(body: bytes, **request: Any) -> dict[str, Any]:
    lean, django = _call("lean", body, **request), _call("django", body, **request)
    assert (lean["status"], lean["headers"]) == (django["status"], django["headers"])
    return {"lean": lean, "django": django}


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"{",
        b"[]",
        b"42",
        b'{"data": {}}',
        b'{"name": ""}',
        b'{"name": "a/b", "data": []}',
        b'[{"name": "a/b"}, 7]',
        b'{"name": "a/b", "data": {"x": "\\u0000"}}',
        b'{"name": "a/b", "ts": -1}',
        b'{"name": "a/b", "v": 3}',
        b'{"name": "a/b", "data": {"n": NaN}}',
        json.dumps({"name": "a/b", "data": {"pad": "x" * 600_000}}).encode(),
    ],
    ids=lambda body: body[:30].decode(errors="replace"),
)
def test_a_refused_body_gets_the_same_answer(body: bytes) -> None:
    answers = _alike(body)
    assert answers["lean"]["status"] == 400
    assert answers["lean"]["body"] == answers["django"]["body"]
    assert not Event.objects.exists()


def test_an_unknown_key_gets_the_same_401() -> None:
    answers = _alike(b'{"name": "a/b"}', path="/e/a-guess")
    assert answers["lean"]["status"] == 401
    assert answers["lean"]["body"] == answers["django"]["body"]


def test_a_key_over_its_rate_gets_the_same_429(settings: Any) -> None:
    settings.INGEST_RATE_LIMIT = 1
    settings.EVENT_KEYS = [f"lean-{uuid.uuid4().hex}", f"django-{uuid.uuid4().hex}"]
    answers = {}
    for kind, key in zip(("lean", "django"), settings.EVENT_KEYS, strict=True):
        codes = [_call(kind, b'{"name": "a/b"}', path=f"/e/{key}")["status"] for _ in range(5)]
        assert 429 in codes  # at most one per second goes through, whichever the route
        answers[kind] = _call(kind, b'{"name": "a/b"}', path=f"/e/{key}")
    assert answers["lean"] == answers["django"]
    assert ("retry-after", "1") in answers["lean"]["headers"]


def test_a_stored_event_gets_the_same_answer_shape() -> None:
    body = json.dumps([{"name": "a/b", "data": {"i": i}} for i in range(3)]).encode()
    answers = _alike(body)
    lean, django = (json.loads(answers[k]["body"]) for k in ("lean", "django"))
    assert answers["lean"]["status"] == 200
    assert set(lean) == set(django) == {"ids", "status"} and lean["status"] == 200
    assert len(lean["ids"]) == len(django["ids"]) == 3
    assert Event.objects.filter(pk__in=lean["ids"]).count() == 3


def test_a_seeded_send_is_stored_once_whichever_route_takes_its_retry() -> None:
    seed = [
        (b"host", b"testserver"),
        (b"x-inngest-event-id-seed", b"1700000000000,AAECAwQFBgcICQ=="),
    ]
    body = b'[{"name": "a/b"}, {"name": "a/c"}]'
    lean = json.loads(_call("lean", body, headers=seed)["body"])
    django = json.loads(_call("django", body, headers=seed)["body"])
    assert lean["ids"] == django["ids"] and Event.objects.count() == 2


def test_a_sender_id_seen_before_is_answered_with_the_stored_event() -> None:
    body = b'{"name": "a/b", "id": "order-1"}'
    first = json.loads(_call("django", body)["body"])
    again = json.loads(_call("lean", body)["body"])
    assert again["ids"] == first["ids"] and Event.objects.count() == 1


@pytest.mark.parametrize(
    "request_",
    [
        {"method": "GET"},
        {"method": "PUT"},
        {"path": f"/e/{KEY}/"},
        {"path": f"/e/{KEY}\x00"},
        {"query": b"x=%00"},
        {"headers": [(b"host", b"elsewhere.example")]},
    ],
    ids=["GET", "PUT", "trailing slash", "NUL in path", "NUL in query", "bad host"],
)
def test_what_only_django_answers_goes_on_to_django(request_: dict[str, Any]) -> None:
    answers = _alike(b'{"name": "a/b"}', **request_)
    assert answers["lean"]["status"] != 200
    assert answers["lean"]["body"] == answers["django"]["body"]
    assert not Event.objects.exists()
