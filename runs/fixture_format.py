"""The run fixture format (version 1): one run as a JSON file, to replay offline in a test
(`@inngest/test`, `inngest.experimental.mocked`) or to import into another server.

    {
      "fixture": "inngest-devserver/run",   what the file is
      "version": 1,                         this format; a reader refuses other versions
      "exported_at": "2025-01-01T10:00:00+00:00",
      "source": "https://staging.example.com",   the server it was exported from
      "function": {"slug": "shop-charge", "name": "Charge", "app": "shop"},
      "run": {
        "id": "01J...",                     the run's id on the source server
        "status": "Completed",              Completed, Failed, Cancelled (or one not ended)
        "queued_at": "...", "started_at": "...", "ended_at": "...",   ISO 8601 or null
        "output": ...,                      the function's return value (Completed)
        "error": {"name": ..., "message": ..., "stack": ...} or null,
        "failed_attempts": [                every attempt that failed, of a step or of the
          {"step_id": "<hashed id>" or "",  function body (blank step_id)
           "step_name": "charge", "number": 0, "error": {...},
           "started_at": "...", "ended_at": "..."}
        ]
      },
      "events": [                           the trigger event, or the batch, as the SDK gets it
        {"id": "...", "name": "shop/order.placed", "data": {...}, "ts": 1735725600000,
         "user": {...}, "v": "..."}         user and v only when set
      ],
      "steps": [                            every finished step, in completion order
        {"id": "<hashed id>",               SHA-1 of the step id, as the SDK sends it
         "name": "charge",                  its display name
         "op": "StepRun",                   the opcode it finished with
         "status": "Completed",             or Failed
         "memo": {"data": ...},             the memoized output exactly as the SDK gets it back
                                            on replay: {"data": x}, {"error": {...}} for a step
                                            that failed for good, a waitForEvent's event or null
         "attempts": 1,                     attempts it took (0: carried over by a rerun)
         "opts": {...},                     the op's options when it had any (a JS step's input)
         "started_at": "...", "ended_at": "..."}
      ]
    }

`parse_fixture` turns a decoded file into typed values; every refusal names the field."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings

from foundation import strict_json

from .state_size import json_size
from .statuses import RunStatus, StepStatus

KIND = "inngest-devserver/run"
VERSION = 1
# What a Step row can hold (runs/models.py): longer values are refused, never cut.
MAX_HASHED_ID = 64
MAX_STEP_NAME = 1024
MAX_OPCODE = 32
MAX_STEPS = 10_000
_STEP_STATUSES = (StepStatus.COMPLETED, StepStatus.FAILED)


class BadFixture(ValueError):
    """A fixture that cannot be read or imported; the message says what to fix."""


@dataclass(frozen=True)
class FailedAttempt:
    step_id: str  # blank: the function body failed, outside any step
    step_name: str
    number: int
    error: Any
    started_at: datetime | None
    ended_at: datetime | None


@dataclass(frozen=True)
class FixtureStep:
    hashed_id: str
    name: str
    op: str
    status: str
    memo: Any
    attempts: int
    opts: Any
    started_at: datetime | None
    ended_at: datetime | None


@dataclass(frozen=True)
class Fixture:
    source: str
    exported_at: str
    function_slug: str
    run_id: str
    status: str
    output: Any
    error: Any
    queued_at: datetime | None
    started_at: datetime | None
    ended_at: datetime | None
    failed_attempts: list[FailedAttempt]
    events: list[dict[str, Any]]  # as exported; the importer validates them as ingest does
    steps: list[FixtureStep]


def load_fixture(raw: bytes | str) -> Fixture:
    """A fixture file's bytes, parsed; BadFixture when it is too large or not one."""
    size = len(raw.encode() if isinstance(raw, str) else raw)
    if size > settings.REQUEST_MAX_BYTES:
        raise BadFixture(
            f"the fixture is {size} bytes, over the limit of {settings.REQUEST_MAX_BYTES}"
            " (DEVSERVER_REQUEST_MAX_BYTES)"
        )
    try:
        return parse_fixture(strict_json.loads(raw))
    except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        if isinstance(exc, BadFixture):
            raise
        raise BadFixture(f"the fixture is not valid JSON: {exc}") from None


def parse_fixture(body: Any) -> Fixture:
    """A decoded fixture, checked field by field."""
    _expect(isinstance(body, dict), "the fixture must be a JSON object")
    _expect(
        body.get("fixture") == KIND,
        f'"fixture" must be "{KIND}": is this a run exported by this server?',
    )
    _expect(
        body.get("version") == VERSION,
        f'"version" {body.get("version")!r} is not one this server reads (it reads {VERSION})',
    )
    function, run = _object(body, "function"), _object(body, "run")
    events, steps = _list(body, "events"), _list(body, "steps")
    _expect(len(steps) <= MAX_STEPS, f"steps has {len(steps)} entries, over {MAX_STEPS}")
    for i, event in enumerate(events):
        _expect(isinstance(event, dict), f"events[{i}] must be an object")
    parsed_steps = [_step(item, f"steps[{i}]") for i, item in enumerate(steps)]
    seen: set[str] = set()
    for i, step in enumerate(parsed_steps):
        _expect(step.hashed_id not in seen, f"steps[{i}].id {step.hashed_id!r} appears twice")
        seen.add(step.hashed_id)
    return Fixture(
        source=_text(body, "source", "source", 1024, required=False),
        exported_at=_text(body, "exported_at", "exported_at", 64, required=False),
        function_slug=_text(function, "slug", "function.slug", 255),
        run_id=_text(run, "id", "run.id", 64, required=False),
        status=_status(run),
        output=run.get("output"),
        error=run.get("error"),
        queued_at=_time(run, "queued_at", "run"),
        started_at=_time(run, "started_at", "run"),
        ended_at=_time(run, "ended_at", "run"),
        failed_attempts=[
            _attempt(item, f"run.failed_attempts[{i}]")
            for i, item in enumerate(_list(run, "failed_attempts", "run.", required=False))
        ],
        events=events,
        steps=parsed_steps,
    )


def _step(item: Any, where: str) -> FixtureStep:
    _expect(isinstance(item, dict), f"{where} must be an object")
    status = item.get("status")
    _expect(status in _STEP_STATUSES, f"{where}.status must be Completed or Failed")
    _expect("memo" in item, f"{where}.memo is missing: the step's memoized output")
    memo_size = json_size(item["memo"])
    _expect(
        memo_size <= settings.SDK_RESPONSE_MAX_BYTES,
        f"{where}.memo is {memo_size} bytes, over a step output's limit of "
        f"{settings.SDK_RESPONSE_MAX_BYTES} (DEVSERVER_STEP_OUTPUT_MAX_BYTES)",
    )
    attempts = item.get("attempts", 1)
    _expect(
        isinstance(attempts, int) and not isinstance(attempts, bool) and attempts >= 0,
        f"{where}.attempts must be a whole number",
    )
    return FixtureStep(
        hashed_id=_text(item, "id", f"{where}.id", MAX_HASHED_ID),
        name=_text(item, "name", f"{where}.name", MAX_STEP_NAME),
        op=_text(item, "op", f"{where}.op", MAX_OPCODE),
        status=str(status),
        memo=item["memo"],
        attempts=attempts,
        opts=item.get("opts"),
        started_at=_time(item, "started_at", where),
        ended_at=_time(item, "ended_at", where),
    )


def _attempt(item: Any, where: str) -> FailedAttempt:
    _expect(isinstance(item, dict), f"{where} must be an object")
    number = item.get("number", 0)
    _expect(
        isinstance(number, int) and not isinstance(number, bool) and number >= 0,
        f"{where}.number must be a whole number",
    )
    return FailedAttempt(
        step_id=_text(item, "step_id", f"{where}.step_id", MAX_HASHED_ID, required=False),
        step_name=_text(item, "step_name", f"{where}.step_name", MAX_STEP_NAME, required=False),
        number=number,
        error=item.get("error"),
        started_at=_time(item, "started_at", where),
        ended_at=_time(item, "ended_at", where),
    )


def _status(run: dict[str, Any]) -> str:
    status = run.get("status")
    _expect(
        status in RunStatus.values,
        f"run.status must be one of {', '.join(RunStatus.values)}, got {status!r}",
    )
    return str(status)


def _text(body: dict[str, Any], key: str, where: str, most: int, *, required: bool = True) -> str:
    value: Any = body.get(key)
    if value is None and not required:
        return ""
    _expect(isinstance(value, str) and (bool(value) or not required), f"{where} must be a string")
    _expect(len(value) <= most, f"{where} is {len(value)} characters long, over {most}")
    return str(value)


def _time(body: dict[str, Any], key: str, where: str) -> datetime | None:
    value: Any = body.get(key)
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        moment = None
    _expect(
        moment is not None and moment.tzinfo is not None,
        f"{where}.{key} must be an ISO 8601 time with its offset, got {value!r}",
    )
    return moment


def _object(body: dict[str, Any], key: str) -> dict[str, Any]:
    value: Any = body.get(key)
    _expect(isinstance(value, dict), f'"{key}" must be an object')
    return value


def _list(body: dict[str, Any], key: str, prefix: str = "", required: bool = True) -> list[Any]:
    value: Any = body.get(key)
    if value is None and not required:
        return []
    _expect(isinstance(value, list), f'"{prefix}{key}" must be a list')
    return value


def _expect(condition: bool, message: str) -> None:
    if not condition:
        raise BadFixture(message)
