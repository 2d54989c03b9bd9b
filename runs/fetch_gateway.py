"""step.fetch: the server makes the HTTP request a `Gateway` op describes and memoizes the
response, as it does for step.ai.infer (runs/ai_gateway.py).

Wire shapes: the op's `opts` are `{url, method, headers, body}` (npm `inngest` 4.24.0 and
3.54.2, components/InngestStepTools.js `gatewaySymbol`); the SDK rebuilds a `Response` from
the memo's `{body, headers, status_code}` (components/Fetch.js). Semantics from inngest/inngest
pkg/execution/executor/executor.go `handleGeneratorGateway`: any HTTP status is a result (the
memo is `{"data": {url, headers, body, status_code}}`, headers joined with ","); only a request
that got no answer fails, as a retried `GatewayError`. Credentials in the request's headers
are never stored or shown: not in the stored op, not in an error that echoes them."""

import json
from typing import Any

from .ai_gateway import REDACTED, ModelCall, mask_credentials
from .outbound import OutboundError, request
from .statuses import ErrorName

# Request headers whose values are credentials: masked in the stored op and in errors.
SECRET_HEADERS = frozenset(
    {"authorization", "proxy-authorization", "cookie", "x-api-key", "api-key", "x-auth-token"}
)


def fetch(opts: dict[str, Any]) -> ModelCall:
    url = opts.get("url")
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        return _failed(f"Gateway op has no usable url: {url!r}", [])
    method = str(opts.get("method") or "GET").upper()
    raw_headers = opts.get("headers") if isinstance(opts.get("headers"), dict) else {}
    headers = {str(k): str(v) for k, v in (raw_headers or {}).items()}
    secrets = [v for k, v in headers.items() if k.lower() in SECRET_HEADERS and v]
    body = opts.get("body")
    content = None if body is None else (body if isinstance(body, str) else json.dumps(body))
    try:
        answer = request(method, url, headers, None if content is None else content.encode())
    except OutboundError as exc:
        return _failed(f"Error making gateway request: {exc}", secrets)
    # Stored as JSON text: invalid UTF-8 becomes U+FFFD (as Go's encoder does) and NUL, which
    # no JSON column can hold, too.
    text = answer.body.decode(errors="replace").replace("\x00", "\ufffd")
    joined: dict[str, str] = {}
    for name, value in answer.headers.multi_items():
        joined[name] = f"{joined[name]},{value}" if name in joined else value
    data = {"url": url, "headers": joined, "body": text, "status_code": answer.status}
    return ModelCall(ok=True, memo={"data": data})


def _failed(message: str, secrets: list[str]) -> ModelCall:
    for secret in secrets:
        message = message.replace(secret, REDACTED)
    error = {"name": ErrorName.GATEWAY_ERROR, "message": mask_credentials(message, "")}
    return ModelCall(ok=False, memo={"error": error})


def safe_opts(opts: dict[str, Any]) -> dict[str, Any]:
    """What we store and show of the op: credential headers masked."""
    headers = opts.get("headers")
    if not isinstance(headers, dict):
        return dict(opts)
    masked = {k: REDACTED if str(k).lower() in SECRET_HEADERS else v for k, v in headers.items()}
    return {**opts, "headers": masked}
