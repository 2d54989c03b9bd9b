"""step.ai.infer: the server makes the model call an AIGateway op describes and memoizes the
provider's JSON response. The auth key never reaches storage, logs or pages: not in the stored
op, and not in a provider's error that echoes it back (masked before it is kept)."""

import json
import re
from dataclasses import dataclass
from typing import Any

import httpx
from django.conf import settings

from .sdk_client import http_client
from .statuses import ErrorName

REDACTED = "[redacted]"
# Credentials a provider may echo in an error, whoever's they are.
_CREDENTIALS = re.compile(r"(?i)\b(bearer\s+)[^\s\"',]+|\bsk-[A-Za-z0-9_\-]{8,}")


@dataclass(frozen=True)
class ModelCall:
    ok: bool
    memo: dict[str, Any]


def call_model(opts: dict[str, Any]) -> ModelCall:
    url = opts.get("url")
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        return _failed(f"AIGateway op has no usable url: {url!r}", None)
    key = str(opts.get("auth_key") or "")
    headers, params = _auth(str(opts.get("format") or ""), key)
    for name, value in (opts.get("headers") or {}).items():
        headers[str(name)] = str(value)
    if params:  # added to the URL's own query (`?api-version=...`), never in place of it
        url = str(httpx.URL(url).copy_merge_params(params))
    try:
        response = http_client().post(
            url,
            json=opts.get("body") or {},
            headers=headers,
            timeout=settings.SDK_REQUEST_TIMEOUT,
        )
    except httpx.HTTPError as exc:
        message = f"Error making AI request: {exc or type(exc).__name__}"
        return _failed(_mask(message, key), None)
    try:
        body = response.json()
    except ValueError:
        body = response.text
    if response.status_code > 299:
        message = f"Error making AI request: unsuccessful status code: {response.status_code}"
        return _failed(message, _mask(body, key))
    return ModelCall(ok=True, memo={"data": body})


def _mask(value: Any, key: str) -> Any:
    """`value` with the key, and anything shaped like a bearer token or an API key, masked."""
    if isinstance(value, str):
        masked = value.replace(key, REDACTED) if key else value
        return _CREDENTIALS.sub(lambda m: (m.group(1) or "") + REDACTED, masked)
    if isinstance(value, list):
        return [_mask(item, key) for item in value]
    if isinstance(value, dict):
        return {k: _mask(v, key) for k, v in value.items()}
    return value


def _auth(model_format: str, key: str) -> tuple[dict[str, str], dict[str, str]]:
    if not key:
        return {"Content-Type": "application/json"}, {}
    if model_format == "anthropic":
        return {"Content-Type": "application/json", "x-api-key": key}, {}
    if model_format == "gemini":
        return {"Content-Type": "application/json"}, {"key": key}
    return {"Content-Type": "application/json", "Authorization": f"Bearer {key}"}, {}


def _failed(message: str, body: Any) -> ModelCall:
    error = {"name": ErrorName.AI_GATEWAY_ERROR, "message": message}
    if body is not None:
        error["data"] = body
        error["stack"] = body if isinstance(body, str) else json.dumps(body)
    return ModelCall(ok=False, memo={"error": error})


def safe_opts(opts: dict[str, Any]) -> dict[str, Any]:
    """What we store and show of the op: everything but the key."""
    return {k: v for k, v in opts.items() if k != "auth_key"}
