"""Bounded HTTP requests the server makes on a step's behalf (step.ai.infer, step.fetch): one
deadline for the whole answer (DEVSERVER_SDK_TIMEOUT) and one size limit for its body (the step
output limit, DEVSERVER_STEP_OUTPUT_MAX_BYTES), since the answer becomes a memoized output."""

import time
from dataclasses import dataclass

import httpx
from django.conf import settings

from .sdk_client import http_client


@dataclass(frozen=True)
class OutboundResponse:
    status: int
    headers: httpx.Headers
    body: bytes


class OutboundError(Exception):
    """No usable answer: unreachable, too slow, or too large. The message says which."""


def request(
    method: str, url: str, headers: dict[str, str], content: bytes | None
) -> OutboundResponse:
    """Send one request; its answer read in chunks and refused past the limit or deadline (a
    per-read timeout alone would let an answer drip in for ever)."""
    limit = settings.SDK_RESPONSE_MAX_BYTES
    deadline = time.monotonic() + settings.SDK_REQUEST_TIMEOUT
    try:
        with http_client().stream(
            method, url, headers=headers, content=content, timeout=settings.SDK_REQUEST_TIMEOUT
        ) as response:
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > limit:
                raise OutboundError(f"the response declared {declared} bytes, over {limit}")
            chunks, size = [], 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > limit:
                    raise OutboundError(f"the response is over {limit} bytes")
                if time.monotonic() > deadline:
                    raise OutboundError(f"the response took over {settings.SDK_REQUEST_TIMEOUT:g}s")
                chunks.append(chunk)
            return OutboundResponse(response.status_code, response.headers, b"".join(chunks))
    except httpx.HTTPError as exc:
        raise OutboundError(str(exc) or type(exc).__name__) from exc
