"""The trace context sent with every call to an app: W3C `traceparent`/`tracestate` and the
`x-request-id`/`x-inngest-job-id` Inngest's executor sends (header names in runs/protocol.py).

A run is one trace: its trace id is derived from the run id, so every call of the run, and every
span the app exports back (runs/userspans.py), shares it without a stored column. Each call is
a new parent span; the JS SDK's extendedTracesMiddleware parents the app's own spans on it."""

import hashlib
import random
import re
import time

from ulid import ULID

from .protocol import TRACESTATE_APP, TRACESTATE_FN, TraceHeader

# W3C trace-context: version 00, sampled.
_VERSION = "00"
_SAMPLED = "01"
# A tracestate value: printable ASCII without ',' and '=' (W3C), which is also what the JS SDK's
# parser (split on ',' then '=') can read back; other values are left out rather than mangled.
_TRACESTATE_VALUE = re.compile(r"[\x21-\x2b\x2d-\x3c\x3e-\x7e]{1,256}")


def trace_id(run_id: str) -> str:
    """The run's trace id: 32 hex digits, never all zeros (W3C forbids it)."""
    digest = hashlib.sha256(f"inngest-run:{run_id}".encode()).hexdigest()[:32]
    return digest if digest.strip("0") else "1" + digest[1:]


def request_headers(run_id: str, job_id: str, app_name: str, fn_slug: str) -> dict[str, str]:
    """Headers for one call to the app: a new span id (the call's span) in the run's trace."""
    # Not secrets/os.urandom: that system call lets go of the GIL, and with a dozen busy
    # threads each call then queues for it again (~7% of an executor thread's time under load).
    # A span id needs to be unique, not unguessable; W3C forbids all zeros.
    span_id = f"{random.getrandbits(64) or 1:016x}"
    headers = {
        TraceHeader.TRACEPARENT: f"{_VERSION}-{trace_id(run_id)}-{span_id}-{_SAMPLED}",
        TraceHeader.REQUEST_ID: _request_id(),
        TraceHeader.JOB_ID: job_id,
    }
    state = [
        f"{key}={value}"
        for key, value in ((TRACESTATE_APP, app_name), (TRACESTATE_FN, fn_slug))
        if _TRACESTATE_VALUE.fullmatch(value)
    ]
    if state:
        headers[TraceHeader.TRACESTATE] = ",".join(state)
    return {str(k): v for k, v in headers.items()}


def _request_id() -> str:
    """A ULID naming one call: unique, not secret, so its random part comes from `random`
    (python-ulid's default takes a lock and os.urandom on every id)."""
    stamp = int(time.time() * 1000).to_bytes(6, "big")
    return str(ULID.from_bytes(stamp + random.getrandbits(80).to_bytes(10, "big")))


def parse_traceparent(value: str) -> tuple[str, str] | None:
    """(trace id, span id) of a `traceparent`, or None when it is not one."""
    parts = value.strip().split("-")
    if len(parts) != 4 or len(parts[1]) != 32 or len(parts[2]) != 16:
        return None
    if not all(re.fullmatch(r"[0-9a-f]+", p) for p in parts[1:3]):
        return None
    return parts[1], parts[2]
