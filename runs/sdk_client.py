"""Calling an app's serve endpoint: one HTTP request in, one typed outcome out."""

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx
from django.conf import settings

from foundation import clock, strict_json
from foundation.nul import contains_nul, may_contain_nul

from . import http_pool, signing
from .protocol import (
    SDK_HEADER,
    FunctionCompleted,
    FunctionErrored,
    ProtocolError,
    SdkOutcome,
    StepsReported,
    UnknownOpcode,
    error_from_body,
    parse_ops,
    unsupported_opcode,
)
from .statuses import ErrorName

USER_AGENT = "inngest-devserver-django/0.1"
_client: httpx.Client | None = None
# Calls another transport answers instead of HTTP (runs/connect/dispatch.py: `connect://` step
# URLs go to a worker that dialed in). Installed in RunsConfig.ready(), so this module imports
# none of them; a hook returns None for a URL that is not its own, and sees no http(s) URL.
DispatchHook = Callable[[str, bytes, dict[str, str]], SdkOutcome | None]
_dispatch_hooks: list[DispatchHook] = []
_HTTP_SCHEMES = ("http://", "https://")


def add_dispatch_hook(hook: DispatchHook) -> None:
    if hook not in _dispatch_hooks:
        _dispatch_hooks.append(hook)


def http_client() -> httpx.Client:
    """One pooled client per process: keep-alive connections to apps cut ~1 ms per call."""
    global _client
    if _client is None:
        _client = httpx.Client(
            timeout=httpx.Timeout(settings.SDK_REQUEST_TIMEOUT, connect=10.0),
            limits=httpx.Limits(max_connections=64, max_keepalive_connections=32),
            headers={"User-Agent": USER_AGENT},
        )
    return _client


def step_url(base_url: str, fn_slug: str, step_id: str) -> str:
    """The function's registered URL with `fnId` and `stepId` set."""
    parts = urlsplit(base_url)
    query = dict(parse_qsl(parts.query))
    query.update({"fnId": fn_slug, "stepId": step_id or "step"})
    return urlunsplit(parts._replace(query=urlencode(query)))


def call_function(
    url: str, body: bytes, trace: dict[str, str] | None = None, method: str = "POST"
) -> SdkOutcome:
    """`trace`: the call's trace context and request ids (runs/tracing.py), and any other
    headers of the call (a Durable Endpoint's `x-run-id`); `method`: the endpoint's own."""
    if not url.startswith(_HTTP_SCHEMES):  # an http(s) URL is always called over HTTP
        for hook in _dispatch_hooks:
            outcome = hook(url, body, dict(trace or {}))
            if outcome is not None:
                return outcome
    headers = {
        "Content-Type": "application/json",
        "X-Inngest-Server-Kind": "cloud" if signing.enabled() else "dev",
        "User-Agent": USER_AGENT,
        **(trace or {}),
        **signing.request_headers(body),
    }
    limit = settings.SDK_RESPONSE_MAX_BYTES
    try:
        response = http_pool.post(
            url, body, headers, settings.SDK_REQUEST_TIMEOUT, limit, method=method
        )
    except http_pool.HttpTimeout:
        return FunctionErrored(
            {
                "name": ErrorName.SDK_TIMEOUT,
                "message": f"the app did not answer within "
                f"{settings.SDK_REQUEST_TIMEOUT:g}s ({url})",
            }
        )
    except http_pool.HttpUnreachable as exc:
        return FunctionErrored(
            {
                "name": ErrorName.SDK_UNREACHABLE,
                "message": f"could not reach the app at {url}: {exc}",
            }
        )
    except http_pool.HttpTooLarge as exc:
        size = f"declared {exc.size} bytes" if exc.declared else f"sent over {limit} bytes"
        return FunctionErrored(
            {
                "name": ErrorName.OUTPUT_TOO_LARGE,
                "message": f"the app's answer {size}, over the limit of {limit} "
                "(DEVSERVER_STEP_OUTPUT_MAX_BYTES); reading stopped there: return a smaller "
                "step output, e.g. store the data and return a reference",
            }
        )
    if signing.enabled():
        refused = _unsigned_response(response.status, response.headers, response.body)
        if refused is not None:
            return refused
    return _interpret(response.status, response.headers, response.body)  # names lower-cased


def _unsigned_response(
    status: int, headers: dict[str, str], content: bytes
) -> FunctionErrored | None:
    """With a signing key, only a response signed with it counts: anything else could come
    from something that is not the app."""
    if status == 401:
        return FunctionErrored(
            {
                "name": ErrorName.SIGNATURE_REJECTED,
                "message": "the app refused our request signature (HTTP 401): the app and the "
                "server must use the same signing key (INNGEST_SIGNING_KEY)",
            }
        )
    why = signing.verify(content, headers.get("x-inngest-signature"))
    if why:
        return FunctionErrored(
            {"name": ErrorName.SIGNATURE_INVALID, "message": f"rejected the app's response: {why}"}
        )
    return None


def interpret_response(status: int, headers: dict[str, Any], content: bytes) -> SdkOutcome:
    """The outcome an app's answer stands for; `headers` with names in any case."""
    return _interpret(status, {name.lower(): value for name, value in headers.items()}, content)


def _interpret(status: int, headers: dict[str, Any], content: bytes) -> SdkOutcome:
    """interpret_response with `headers` already lower-cased (as runs/http_pool gives them)."""
    body, unreadable = _parse_json(content)
    parsed = not unreadable
    if parsed and may_contain_nul(content) and contains_nul(body):
        return FunctionErrored(
            {
                "name": ErrorName.OUTPUT_NOT_STORABLE,
                "message": "the app's answer contains NUL characters (\\u0000), which "
                "cannot be stored: remove them from the step or function output",
            }
        )
    if status == 201 and parsed and isinstance(body, dict) and "status" in body:
        # Streamed response: the final JSON object stands for the real response.
        inner = body.get("body")
        inner_status = body["status"]
        if not _is_final_status(inner_status):
            return FunctionErrored(
                {
                    "name": ErrorName.PROTOCOL_ERROR,
                    "message": "the app's streamed answer (HTTP 201) has a status that is not "
                    f"an HTTP status code: {json.dumps(inner_status)[:100]}",
                }
            )
        inner_bytes = inner.encode() if isinstance(inner, str) else json.dumps(inner).encode()
        inner_headers = body.get("headers")
        if not isinstance(inner_headers, dict):
            inner_headers = {}
        return interpret_response(inner_status, inner_headers, inner_bytes)
    if status == 200:
        if not parsed:
            return FunctionErrored(
                {
                    "name": ErrorName.PROTOCOL_ERROR,
                    "message": f"the app answered 200 with a body that is not valid JSON "
                    f"({unreadable}): {content[:200]!r}",
                }
            )
        return FunctionCompleted(body)
    if status == 206:
        if not parsed:
            return FunctionErrored(
                {
                    "name": ErrorName.PROTOCOL_ERROR,
                    "message": f"the app answered 206 with a body that is not valid JSON "
                    f"({unreadable}): {content[:200]!r}",
                }
            )
        try:
            return StepsReported(
                parse_ops(body),
                no_retry=headers.get("x-inngest-no-retry") == "true",
                retry_at=parse_retry_after(headers.get("retry-after")),
            )
        except UnknownOpcode as exc:
            return FunctionErrored(unsupported_opcode(exc.opcode, headers.get(SDK_HEADER)))
        except ProtocolError as exc:
            return FunctionErrored({"name": ErrorName.PROTOCOL_ERROR, "message": str(exc)})
    fallback = f"the app answered HTTP {status}"
    error = error_from_body(body if parsed else content.decode(errors="replace"), fallback)
    return FunctionErrored(
        error=error,
        no_retry=headers.get("x-inngest-no-retry") == "true",
        retry_at=parse_retry_after(headers.get("retry-after")),
    )


def _is_final_status(value: Any) -> bool:
    """A streamed answer's real status: an HTTP code, and not another stream."""
    return type(value) is int and 200 <= value <= 599 and value != 201


def parse_retry_after(value: str | None) -> datetime | None:
    """`Retry-After` as seconds, an ISO 8601 time, or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        return clock.now() + timedelta(seconds=float(value))
    except ValueError:
        pass
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        try:
            parsed = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=clock.now().tzinfo)
    return parsed


def _parse_json(content: bytes) -> tuple[Any, str]:
    """The parsed body, and why it could not be parsed (empty when it could)."""
    if not content:
        return None, ""
    try:
        return strict_json.loads(content), ""
    except UnicodeDecodeError:
        return None, "not UTF-8"
    except json.JSONDecodeError as exc:
        return None, exc.msg
