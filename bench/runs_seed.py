"""Seeding the runs list benchmark's throwaway database: N runs with their events, a share of
them with steps, and one run of 1,000 steps, written with raw executemany in queued order."""

import random
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.db import connection, transaction
from ulid import ULID

if TYPE_CHECKING:
    from django.db.models import Model

    from runs.models import Function, Run

BATCH = 5000
SPREAD = timedelta(days=7)
APPS, FUNCTIONS_PER_APP = 3, 4
STEPS_EVERY, STEPS_PER_RUN = 10, 5  # one run in ten has five steps
BIG_RUN_STEPS = 1000  # plus one run this long, for the run detail
STATUS_MIX = {"Completed": 75, "Failed": 8, "Cancelled": 2, "Running": 6, "Sleeping": 4}
STATUS_MIX |= {"Waiting": 2, "Queued": 3}
ENDED = {"Completed", "Failed", "Cancelled"}


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class RawInserter:
    """One INSERT of `model` rows given as {attname: value}, run with executemany: no model
    instances, each value adapted once for the database, the other columns set to their
    defaults (prepared once). Seeding a million runs through the ORM takes too long."""

    def __init__(self, model: type["Model"], given: list[str]) -> None:
        fields = [
            f
            for f in model._meta.concrete_fields
            if not (f.primary_key and f.get_internal_type().endswith("AutoField"))
        ]
        self.sql = (
            # Quoted: Event has a column named `user`, a reserved word in Postgres.
            f"INSERT INTO {model._meta.db_table} "
            f"({', '.join(connection.ops.quote_name(f.column) for f in fields)}) "
            f"VALUES ({', '.join(['%s'] * len(fields))})"
        )
        missing = set(given) - {f.attname for f in fields}
        if missing:
            raise ValueError(f"{model.__name__} has no columns {sorted(missing)}")
        self.slots: list[tuple[str, Callable[[Any], Any]] | tuple[None, Any]] = [
            (f.attname, _adapter(f))
            if f.attname in given
            else (None, f.get_db_prep_save(f.get_default(), connection))
            for f in fields
        ]

    def insert(self, rows: list[dict[str, Any]]) -> None:
        params = [
            [value if name is None else value(row[name]) for name, value in self.slots]
            for row in rows
        ]
        with connection.cursor() as cursor:
            cursor.executemany(self.sql, params)


def _adapter(field: Any) -> Callable[[Any], Any]:
    kind = field.get_internal_type()
    if kind == "DateTimeField":
        adapt = connection.ops.adapt_datetimefield_value
        if connection.vendor == "sqlite":  # what adapt() gives for UTC, in a third of the time
            return lambda value: (
                None
                if value is None
                else str(value.replace(tzinfo=None))
                if value.tzinfo is UTC
                else adapt(value)
            )
        return lambda value: None if value is None else adapt(value)
    if kind == "JSONField":  # None is SQL NULL, as the ORM stores it
        return lambda value: None if value is None else connection.ops.adapt_json_value(value, None)
    return lambda value: value


def one_run(
    i: int, function_id: int, slug: str, status: str, queued: datetime
) -> tuple[dict, dict, list[dict]]:
    """A run, its event (ids are ULIDs of queued_at: the list pages by id) and its steps."""
    began = None if status == "Queued" else queued + timedelta(milliseconds=20)
    ended = began + timedelta(seconds=1 + i % 30) if began and status in ENDED else None
    event_id = str(ULID.from_datetime(queued))
    event = {"id": event_id, "name": slug, "data": {"i": i}, "received_at": queued}
    event["ts"] = int(queued.timestamp() * 1000)
    run = {"id": str(ULID.from_datetime(queued)), "function_id": function_id}
    run |= {"event_id": event_id, "status": status, "queued_at": queued}
    run |= {"started_at": began, "ended_at": ended}
    run["output"] = {"i": i} if status == "Completed" else None
    run["error"] = {"name": "Error", "message": "boom"} if status == "Failed" else None
    steps = []
    if began and i % STEPS_EVERY == 0:
        for k in range(STEPS_PER_RUN):
            at = began + timedelta(milliseconds=100 * k)
            steps.append(
                {"run_id": run["id"], "hashed_id": f"s{k}", "name": f"step {k}"}
                | {"opcode": "StepRun", "status": "Completed", "memo": {"data": k}}
                | {"position": k, "started_at": at, "ended_at": at + timedelta(milliseconds=50)}
            )
    return event, run, steps


@contextmanager
def fast_writes() -> Iterator[None]:
    """SQLite: no fsync while seeding a throwaway database (the pages are timed after, with
    the server's own setting back)."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA synchronous=OFF")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def seed(runs: int, rng: random.Random) -> dict[str, Any]:
    """Apps, functions (a few busy, a long tail), one event per run, runs queued over 7 days in
    a realistic mix of statuses, steps for one run in ten; raw bulk inserts in batches, in the
    order runs were queued (ids are ULIDs of that time, so the indexes fill in order)."""
    from events.models import Event
    from runs.models import App, Function, Run, Step

    started, now = time.perf_counter(), datetime.now(UTC)
    apps = App.objects.bulk_create(
        App(name=f"bench-{a}", url=f"http://127.0.0.1:9/{a}/api/inngest") for a in range(APPS)
    )
    slugs = [(app, f"{app.name}-fn-{f}") for app in apps for f in range(FUNCTIONS_PER_APP)]
    functions = Function.objects.bulk_create(
        Function(app=app, slug=slug, name=slug, step_url=app.url, triggers=[{"event": slug}])
        for app, slug in slugs
    )
    weights = [1 / (k + 1) for k in range(len(functions))]
    queued_times = sorted(now - SPREAD * rng.random() for _ in range(runs))
    events = RawInserter(Event, ["id", "name", "data", "ts", "received_at"])
    run_rows = RawInserter(
        Run,
        ["id", "function_id", "event_id", "status", "queued_at", "started_at", "ended_at"]
        + ["output", "error"],
    )
    step_rows = RawInserter(
        Step,
        ["run_id", "hashed_id", "name", "opcode", "status", "memo", "position"]
        + ["started_at", "ended_at"],
    )
    with fast_writes():
        for start in range(0, runs, BATCH):
            count = min(BATCH, runs - start)
            chosen = rng.choices(functions, weights, k=count)
            statuses = rng.choices(list(STATUS_MIX), list(STATUS_MIX.values()), k=count)
            rows = [
                one_run(
                    start + n, chosen[n].id, chosen[n].slug, statuses[n], queued_times[start + n]
                )
                for n in range(count)
            ]
            with transaction.atomic():
                events.insert([event for event, _, _ in rows])
                run_rows.insert([run for _, run, _ in rows])
                step_rows.insert([s for _, _, steps in rows for s in steps])
            if start // BATCH % 20 == 19:
                progress(f"  {start + count} runs seeded, {time.perf_counter() - started:.0f} s")
    big_run = seed_big_run(functions[0], now)
    if connection.vendor == "postgresql":  # autovacuum would have; SQLite never gets stats
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    rare = functions[-1].slug
    return {
        "seconds": time.perf_counter() - started,
        "counts": {m.__name__: m.objects.count() for m in (App, Function, Event, Run, Step)},
        "detail_id": Step.objects.exclude(run=big_run)
        .order_by("-run_id")
        .values_list("run_id", flat=True)[0],
        "big_id": big_run.id,
        "rare_function": rare,
        "rare_runs": Run.objects.filter(function__slug=rare).count(),
        "failed_runs": Run.objects.filter(status="Failed").count(),
        "busy_app_runs": Run.objects.filter(function__app=apps[0]).count(),
    }


def seed_big_run(function: "Function", now: datetime) -> "Run":
    """One completed run of BIG_RUN_STEPS steps: the run detail must stay usable at this size."""
    from events.models import Event
    from runs.models import Run, Step

    queued = now - timedelta(minutes=5)
    event_row, run_row, _ = one_run(0, function.id, function.slug, "Completed", queued)
    with transaction.atomic():
        event = Event.objects.create(**event_row)
        run = Run.objects.create(**run_row | {"event_id": event.id})
        big_steps = []
        for k in range(BIG_RUN_STEPS):
            at = run.started_at + timedelta(milliseconds=10 * k)
            step = Step(run=run, hashed_id=f"b{k}", name=f"item {k}", opcode="StepRun")
            step.status, step.memo, step.position = "Completed", {"data": {"k": k, "ok": True}}, k
            step.started_at, step.ended_at = at, at + timedelta(milliseconds=8)
            big_steps.append(step)
        Step.objects.bulk_create(big_steps, batch_size=BATCH)
    return run
