"""Inngest request signing: what the official SDKs check outside dev mode, and what they send.

- Requests to an SDK carry `X-Inngest-Signature: t=<unix seconds>&s=<hex>` where `s` is
  HMAC-SHA256 over the body's canonical JSON (RFC 8785) followed by `t`, keyed by the signing
  key without its `signkey-<env>-` prefix. We send the canonical bytes themselves, so what is
  signed is exactly what is sent.
- SDK responses are signed the same way over the raw response body.
- SDKs calling us (register, checkpoint) send `Authorization: Bearer <sha256 of the key's hex
  bytes>`, with or without the `signkey-<env>-` prefix.
"""

import hashlib
import hmac
import json
import re
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs

import jcs
from django.conf import settings

_PREFIX = re.compile(r"^signkey-\w+-")
# A signed response older (or newer) than this is refused: a captured response cannot be
# replayed much later.
MAX_SKEW_SECONDS = 300


def enabled() -> bool:
    return bool(settings.SIGNING_KEY)


def keys() -> list[str]:
    return [k for k in (settings.SIGNING_KEY, settings.SIGNING_KEY_FALLBACK) if k]


def canonical_json(value: Any) -> bytes:
    """RFC 8785 bytes when signing (the SDKs verify over that form); compact JSON otherwise."""
    if enabled():
        return jcs.canonicalize(value)
    return json.dumps(value, separators=(",", ":")).encode()


def sign(body: bytes, key: str, at: int | None = None) -> str:
    timestamp = int(time.time()) if at is None else at
    return f"t={timestamp}&s={_mac(body, key, timestamp)}"


def request_headers(body: bytes) -> dict[str, str]:
    """Headers for a request to an SDK: the signature (with the primary key) when signing."""
    if not enabled():
        return {}
    return {"X-Inngest-Signature": sign(body, settings.SIGNING_KEY)}


def verify(body: bytes, header: str | None, now: float | None = None) -> str:
    """'' when `header` signs `body` with one of our keys; otherwise why not."""
    if not header:
        return "the response has no X-Inngest-Signature header"
    fields = parse_qs(header)
    try:
        timestamp = int(fields["t"][0])
        signature = fields["s"][0]
    except (KeyError, IndexError, ValueError):
        return "the X-Inngest-Signature header is malformed"
    if abs((time.time() if now is None else now) - timestamp) > MAX_SKEW_SECONDS:
        return "the signature is too old (or from the future)"
    # Some SDK servers add a trailing newline after signing the body.
    bodies = [body, body[:-1]] if body.endswith(b"\n") else [body]
    for key in keys():
        for candidate in bodies:
            if hmac.compare_digest(signature, _mac(candidate, key, timestamp)):
                return ""
    return "the signature does not match the signing key"


def hashed_key(key: str) -> str:
    stripped = _PREFIX.sub("", key)
    try:
        return hashlib.sha256(bytes.fromhex(stripped)).hexdigest()
    except ValueError:  # not a hex key: compare its text digest instead
        return hashlib.sha256(stripped.encode()).hexdigest()


def bearer_is_signing_key(authorization: str | None) -> bool:
    """SDK credentials: the signing key's hash (what SDKs send on /fn/register and
    /v1/checkpoint), or the raw key, primary or fallback."""
    return _bearer_matches(authorization, lambda key: {_PREFIX.sub("", key), hashed_key(key)})


def bearer_is_operator_key(authorization: str | None) -> bool:
    """Operator credentials for scripts (/api/, /v1/): the raw signing key only. Its hash is
    not one: every SDK sends the hash, so whoever sees that traffic would operate the console."""
    return _bearer_matches(authorization, lambda key: {_PREFIX.sub("", key)})


def _bearer_matches(authorization: str | None, accepted: Callable[[str], set[str]]) -> bool:
    if not authorization or not authorization.startswith("Bearer "):
        return False
    token = _PREFIX.sub("", authorization[len("Bearer ") :].strip())
    if not token:
        return False
    return any(
        hmac.compare_digest(token, candidate) for key in keys() for candidate in accepted(key)
    )


def _mac(body: bytes, key: str, timestamp: int) -> str:
    mac = hmac.new(_PREFIX.sub("", key).encode(), body, hashlib.sha256)
    mac.update(str(timestamp).encode())
    return mac.hexdigest()
