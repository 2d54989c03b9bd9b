"""Subscription tokens: HS256 JWTs that the server signs and only the server reads (the SDKs
pass them along untouched). A token names the channel and topics it may subscribe to and
expires after REALTIME_TOKEN_SECONDS; claims follow inngest/inngest `realtime/token.go`
(`iss` rt.inngest.com, `sub`, `exp`, `iat`, `jti`, `topics`, `publish`)."""

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from .protocol import TopicKind

ISSUER = "rt.inngest.com"
_HEADER = {"alg": "HS256", "typ": "JWT"}


class BadTokenRequest(ValueError):
    """The token request's body is not a list of `{channel, name}` topics."""


@dataclass(frozen=True)
class Topic:
    channel: str
    name: str

    def as_claim(self) -> dict[str, str]:
        return {"kind": str(TopicKind.RUN), "channel": self.channel, "name": self.name}


def parse_token_request(body: Any) -> list[Topic]:
    """`[{channel, name, kind?}]`, as both SDKs send it: the topics a token will allow."""
    if not isinstance(body, list) or not body:
        raise BadTokenRequest("the body must be a non-empty list of {channel, name} topics")
    if len(body) > settings.REALTIME_MAX_TOPICS:
        raise BadTokenRequest(f"a token allows at most {settings.REALTIME_MAX_TOPICS} topics")
    return [_topic(item, f"topics[{n}]") for n, item in enumerate(body)]


def issue(topics: list[Topic], subject: str = "dev", seconds: int | None = None) -> str:
    """A token for `topics`, to connect with within `seconds` (REALTIME_TOKEN_SECONDS)."""
    now = int(time.time())
    claims = {
        "iss": ISSUER,
        "sub": subject,
        "exp": now + (settings.REALTIME_TOKEN_SECONDS if seconds is None else seconds),
        "iat": now,
        "jti": secrets.token_hex(8),
        "topics": [topic.as_claim() for topic in topics],
        "publish": False,
    }
    signing_input = f"{_b64(_compact(_HEADER))}.{_b64(_compact(claims))}"
    return f"{signing_input}.{_b64(_mac(signing_input))}"


def verify(token: str, now: float | None = None) -> list[Topic] | None:
    """The topics `token` allows, or None when it is malformed, forged or expired."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    signing_input = f"{parts[0]}.{parts[1]}"
    try:
        signature = _unb64(parts[2])
        header = json.loads(_unb64(parts[0]))
        claims = json.loads(_unb64(parts[1]))
    except ValueError:
        return None
    if not hmac.compare_digest(signature, _mac(signing_input)) or header != _HEADER:
        return None
    if not isinstance(claims, dict) or claims.get("iss") != ISSUER:
        return None
    expires = claims.get("exp")
    if not isinstance(expires, int) or expires <= (time.time() if now is None else now):
        return None
    try:
        return [_topic(item, "topic") for item in claims.get("topics") or []]
    except BadTokenRequest:
        return None


def _topic(item: Any, where: str) -> Topic:
    if not isinstance(item, dict):
        raise BadTokenRequest(f"{where} must be an object with channel and name")
    channel, name = item.get("channel"), item.get("name")
    if not isinstance(channel, str) or not channel:
        raise BadTokenRequest(f"{where}.channel must be a non-empty string")
    if not isinstance(name, str) or not name:
        raise BadTokenRequest(f"{where}.name must be a non-empty string")
    if item.get("kind", TopicKind.RUN) != TopicKind.RUN:
        raise BadTokenRequest(f'{where}.kind must be "run" (event topics are not supported)')
    return Topic(channel, name)


def _mac(signing_input: str) -> bytes:
    # A key of its own, derived from SECRET_KEY: tokens stay valid across every web process
    # of a staging deployment, and a token is never usable as any other signature.
    key = hmac.new(settings.SECRET_KEY.encode(), b"realtime-subscription-token", hashlib.sha256)
    return hmac.new(key.digest(), signing_input.encode(), hashlib.sha256).digest()


def _b64(value: str | bytes) -> str:
    raw = value.encode() if isinstance(value, str) else value
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(value: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (ValueError, TypeError) as exc:
        raise ValueError("not base64url") from exc


def _compact(value: dict[str, Any]) -> str:
    return json.dumps(value, separators=(",", ":"))
