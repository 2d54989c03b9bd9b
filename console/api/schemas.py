"""API schemas for apps, functions, runs and steps (django-ninja)."""

from datetime import datetime
from typing import Any

from ninja import Schema


class AppOut(Schema):
    id: int
    name: str
    url: str
    sdk: str
    framework: str
    synced_at: datetime | None
    sync_error: str
    function_count: int
    # Connect workers holding a socket now (runs/connect/bus.py connected_workers).
    connect_workers: list[dict] = []
    # A Connect app's latest sockets, newest first (runs/connect/history.py connect_state).
    connect_history: list[dict] = []


class AppIn(Schema):
    url: str


class CronOut(Schema):
    """A cron trigger as stored: its schedule, `jitter` in seconds (null: none), next tick."""

    spec: str
    jitter: float | None
    next_fire_at: datetime


class FunctionStateOut(Schema):
    """A function after pause or resume; `woken`: held queue items resumed."""

    slug: str
    paused: bool
    woken: int


class FunctionOut(Schema):
    slug: str
    name: str
    app: str
    triggers: list[dict[str, Any]]
    retries: int
    archived: bool
    paused: bool
    crons: list[CronOut]
    config: dict[str, Any]


class AttemptOut(Schema):
    number: int
    step_hashed_id: str
    step_name: str
    started_at: datetime
    ended_at: datetime
    error: dict[str, Any]


class StepOut(Schema):
    hashed_id: str
    name: str
    opcode: str
    status: str
    attempts: int
    memo: Any
    started_at: datetime
    ended_at: datetime | None
    wake_at: datetime | None


class RunOut(Schema):
    id: str
    function: str
    status: str
    event_id: str | None
    output: Any
    error: Any
    queued_at: datetime
    started_at: datetime | None
    ended_at: datetime | None


class PendingWorkOut(Schema):
    """What the run is waiting for right now: why it is not running."""

    reason: str
    due_at: datetime
    waiting_on_concurrency_key: str
    target_step: str


class MetadataOut(Schema):
    """A kind of metadata of the run (blank `step_hashed_id`) or of a step (runs/metadata.py)."""

    step_hashed_id: str
    kind: str
    values: dict[str, Any]
    updated_at: datetime


class UserSpanOut(Schema):
    """A span the app exported (runs/userspans.py)."""

    span_id: str
    parent_span_id: str
    step_hashed_id: str
    name: str
    started_at: datetime
    ended_at: datetime
    status: str
    attributes: dict[str, Any]


class DeferOut(Schema):
    """A `defer()` of the run (runs/defer_listing.py): status pending (until the run ends),
    scheduled (`run_id` is the run it started, once started), aborted or rejected (`reason`)."""

    id: str
    hashed_id: str
    function: str
    status: str
    reason: str
    event_id: str
    run_id: str
    run_status: str


class RunDetailOut(RunOut):
    steps: list[StepOut]
    failed_attempts: list[AttemptOut]
    pending: list[PendingWorkOut]
    metadata: list[MetadataOut]
    user_spans: list[UserSpanOut]
    defers: list[DeferOut]


class RunPage(Schema):
    runs: list[RunOut]
    next_cursor: str | None


class EventOut(Schema):
    id: str
    name: str
    data: dict[str, Any]
    user: dict[str, Any]
    ts: int
    received_at: datetime
    run_ids: list[str]


class ErrorOut(Schema):
    error: str
