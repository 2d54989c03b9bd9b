"""step.ai.infer: the server makes the model call an AIGateway op describes and memoizes the
provider's JSON response. The auth key never reaches storage, logs or pages: not in the stored
op, and not in a provider's error that echoes it back (masked before it is kept)."""

import json
import re
from dataclasses import dataclass
from typing import Any

import httpx

from .outbound import OutboundError, request
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
        # Bounded like step.fetch (runs/outbound.py): the answer becomes the step's memo.
        response = request("POST", url, headers, json.dumps(opts.get("body") or {}).encode())
    except OutboundError as exc:
        return _failed(mask_credentials(f"Error making AI request: {exc}", key), None)
    try:
        body = json.loads(response.body)
    except ValueError:
        body = response.body.decode(errors="replace")
    if response.status > 299:
        message = f"Error making AI request: unsuccessful status code: {response.status}"
        return _failed(message, mask_credentials(body, key))
    return ModelCall(ok=True, memo={"data": body})


def mask_credentials(value: Any, key: str) -> Any:
    """`value` with the key, and anything shaped like a bearer token or an API key, masked."""
    if isinstance(value, str):
        masked = value.replace(key, REDACTED) if key else value
        return _CREDENTIALS.sub(lambda m: (m.group(1) or "") + REDACTED, masked)
    if isinstance(value, list):
        return [mask_credentials(item, key) for item in value]
    if isinstance(value, dict):
        return {k: mask_credentials(v, key) for k, v in value.items()}
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
