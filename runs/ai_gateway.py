"""step.ai.infer: the server makes the model call an AIGateway op describes (the auth key never
reaches storage or logs) and memoizes the provider's JSON response."""

import json
from dataclasses import dataclass
from typing import Any

import httpx
from django.conf import settings

from .sdk_client import http_client


@dataclass(frozen=True)
class ModelCall:
    ok: bool
    memo: dict[str, Any]


def call_model(opts: dict[str, Any]) -> ModelCall:
    url = opts.get("url")
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        return _failed(f"AIGateway op has no usable url: {url!r}", None)
    headers, params = _auth(str(opts.get("format") or ""), str(opts.get("auth_key") or ""))
    for name, value in (opts.get("headers") or {}).items():
        headers[str(name)] = str(value)
    try:
        response = http_client().post(
            url,
            json=opts.get("body") or {},
            headers=headers,
            params=params,
            timeout=settings.SDK_REQUEST_TIMEOUT,
        )
    except httpx.HTTPError as exc:
        return _failed(f"Error making AI request: {exc or type(exc).__name__}", None)
    try:
        body = response.json()
    except ValueError:
        body = response.text
    if response.status_code > 299:
        return _failed(
            f"Error making AI request: unsuccessful status code: {response.status_code}", body
        )
    return ModelCall(ok=True, memo={"data": body})


def _auth(model_format: str, key: str) -> tuple[dict[str, str], dict[str, str]]:
    if not key:
        return {"Content-Type": "application/json"}, {}
    if model_format == "anthropic":
        return {"Content-Type": "application/json", "x-api-key": key}, {}
    if model_format == "gemini":
        return {"Content-Type": "application/json"}, {"key": key}
    return {"Content-Type": "application/json", "Authorization": f"Bearer {key}"}, {}


def _failed(message: str, body: Any) -> ModelCall:
    error = {"name": "AIGatewayError", "message": message}
    if body is not None:
        error["data"] = body
        error["stack"] = body if isinstance(body, str) else json.dumps(body)
    return ModelCall(ok=False, memo={"error": error})


def safe_opts(opts: dict[str, Any]) -> dict[str, Any]:
    """What we store and show of the op: everything but the key."""
    return {k: v for k, v in opts.items() if k != "auth_key"}
