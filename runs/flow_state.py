"""Why isn't it running? Every flow-control key of one function with its state now: the
concurrency slots in use and who holds them, throttle and rate-limit windows, debounce and
batch holds with their events and release times, singleton holders, runs queued by a throttle.

Read-only and bounded: each list is at most LIMIT rows, each read is one indexed query (the
function's active runs, the leased queue items of a key, the limiter and pending rows of the
function)."""

from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Q

from flowcontrol.models import Limiter, Pending
from foundation import clock

from .models import Function, QueueItem, Run
from .statuses import ACTIVE_RUN_STATUSES, QueueReason

LIMIT = 100


@dataclass
class SlotKey:
    key: str
    limit: int
    in_use: int
    holders: list[str]  # run ids whose step is in flight under this key
    waiting: int  # steps due and waiting for a slot of this key


@dataclass
class Window:
    kind: str  # "throttle" or "rateLimit"
    key: str
    limit: int
    period_seconds: float
    used: int  # rateLimit: starts in the current window; throttle: starts still spaced ahead
    next_allowed_at: datetime | None  # when the next event may start a run (None: now)


@dataclass
class Hold:
    kind: str  # "debounce" or "batch"
    key: str
    event_ids: list[str]
    events: int
    first_at: datetime
    release_at: datetime


@dataclass
class FlowState:
    function: str
    paused: bool
    now: datetime
    concurrency: list[SlotKey] = field(default_factory=list)
    windows: list[Window] = field(default_factory=list)
    holds: list[Hold] = field(default_factory=list)
    singletons: dict[str, str] = field(default_factory=dict)  # key -> the active run holding it
    throttled_runs: list[tuple[str, datetime]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def flow_state(function: Function) -> FlowState:
    now = clock.now()
    state = FlowState(function=function.slug, paused=function.paused_at is not None, now=now)
    active: list[dict[str, Any]] = list(
        dict(r)
        for r in Run.objects.filter(function=function, status__in=sorted(ACTIVE_RUN_STATUSES))
        .order_by("-id")
        .values("id", "concurrency", "singleton_key")[: LIMIT * 5]
    )
    state.concurrency = _slots(active, now)
    state.windows = _windows(function, now)
    state.holds = _holds(function)
    for run in active:
        if run["singleton_key"]:
            state.singletons.setdefault(run["singleton_key"], run["id"])
    throttled = QueueItem.objects.filter(
        run__function=function, reason=QueueReason.THROTTLED, due_at__gt=now
    ).order_by("due_at")
    state.throttled_runs = list(throttled.values_list("run_id", "due_at")[:LIMIT])
    return state


def _slots(active: list[dict[str, Any]], now: datetime) -> list[SlotKey]:
    limits: dict[str, int] = {}
    for run in active:
        for constraint in run["concurrency"] or []:
            limits.setdefault(constraint["key"], constraint["limit"])
    slots = []
    for key, limit in sorted(limits.items())[:LIMIT]:
        of_key = QueueItem.objects.filter(Q(ckey1=key) | Q(ckey2=key))
        holders = list(of_key.filter(lease_until__gt=now).values_list("run_id", flat=True)[:LIMIT])
        waiting = of_key.filter(waiting_on=key, lease_owner="").count()
        slots.append(SlotKey(key, limit, len(holders), holders, waiting))
    return slots


def _windows(function: Function, now: datetime) -> list[Window]:
    flow, windows = function.flow, []
    limiters = Limiter.objects.filter(scope=function.slug).order_by("kind", "key")[:LIMIT]
    for limiter in limiters:
        if limiter.kind == "throttle" and flow.throttle is not None:
            option = flow.throttle
            interval = option.period / max(option.limit, 1)
            ahead = max(limiter.tat - now, timedelta(0))
            tolerance = interval * max(option.burst - 1, 0)
            allowed = limiter.tat - tolerance if limiter.tat - tolerance > now else None
            used = min(int(ahead / interval) if interval else 0, option.limit)
            windows.append(
                Window("throttle", limiter.key, option.limit, option.period.total_seconds(),
                       used, allowed)
            )  # fmt: skip
        elif limiter.kind == "rateLimit" and flow.rate_limit is not None:
            rate = flow.rate_limit
            starts = sorted(
                t for t in map(datetime.fromisoformat, limiter.window) if t > now - rate.period
            )
            full = len(starts) >= rate.limit
            windows.append(
                Window("rateLimit", limiter.key, rate.limit, rate.period.total_seconds(),
                       len(starts), starts[0] + rate.period if full else None)
            )  # fmt: skip
    return windows


def _holds(function: Function) -> list[Hold]:
    pending = Pending.objects.filter(function=function).order_by("due_at")[:LIMIT]
    return [
        Hold(p.kind, p.key, list(p.event_ids)[-LIMIT:], len(p.event_ids), p.first_at, p.due_at)
        for p in pending
    ]
