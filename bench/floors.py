"""The floors a run cannot beat on this machine: one SDK round trip and one durable commit.

A 10-step run needs 11 calls to the app (one per step, plus the call that returns the output)
and, since each step is stored before the next call, 10 commits. Both are timed here, from the
benchmark's own process while the server is idle, so every figure is set beside a floor taken
on the same machine at the same moment.
"""

import hashlib
import os
import time
from collections.abc import Callable
from datetime import UTC, datetime
from itertools import count
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
from ulid import ULID

from runs.protocol import ExecutionState, build_request_body

if TYPE_CHECKING:
    from runs.models import Run

# What the server's executor sends with every call (runs/sdk_client.py).
SDK_HEADERS = {"Content-Type": "application/json", "X-Inngest-Server-Kind": "dev"}
WARMUP_CALLS = 20


def step_hash(step_id: str) -> str:
    """The id the SDKs give the first step named `step_id`."""
    return hashlib.sha1(step_id.encode()).hexdigest()  # noqa: S324 - the SDKs' own scheme


def time_calls(call: Callable[[], object], samples: int) -> list[float]:
    """Run `call` `samples` times; return each duration in ms."""
    timings = []
    for _ in range(samples):
        start = time.perf_counter()
        call()
        timings.append((time.perf_counter() - start) * 1000)
    return timings


def execution_body(fn_slug: str, event_name: str, memoized: int = 9) -> bytes:
    """The body the server sends for the 10th step of a run: 9 steps memoized, built by the
    server's own encoder so the app parses exactly what it parses during a run."""
    event = {"id": str(ULID()), "name": event_name, "data": {"i": 0}, "ts": int(time.time() * 1e3)}
    stack = [step_hash(f"s{index}") for index in range(memoized)]
    state = ExecutionState(
        run_id=str(ULID()),
        fn_slug=fn_slug,
        event=event,
        events=[event],
        memos={hashed: {"data": index} for index, hashed in enumerate(stack)},
        stack=stack,
        attempt=0,
        max_attempts=5,
    )
    return build_request_body(state)


def sdk_round_trips(app_url: str, fn_slug: str, event_name: str, samples: int) -> list[float]:
    """Plain HTTP round trips (ms) to the app's serve URL over one keep-alive connection, each
    asking it to replay 9 steps and run the 10th, as the executor does."""
    body = execution_body(fn_slug, event_name)
    params = {"fnId": fn_slug, "stepId": "step"}
    with httpx.Client(headers=SDK_HEADERS, timeout=30) as client:

        def call() -> None:
            response = client.post(app_url, params=params, content=body)
            if response.status_code != 206:
                raise RuntimeError(f"the app answered {response.status_code}: {response.text}")

        time_calls(call, WARMUP_CALLS)
        return time_calls(call, samples)


def commit_timings(data_dir: Path, samples: int) -> dict[str, list[float]]:
    """INSERT + COMMIT (ms) of one step-sized row in a fresh SQLite database set up by the
    server's own settings (WAL, synchronous=NORMAL, BEGIN IMMEDIATE) in `data_dir`.

    "raw" is one prepared SQL INSERT in a transaction: the floor. "orm" is Step.objects.create
    in a transaction, to show what Django's ORM adds on top."""
    _setup_django(data_dir)
    from django.db import connection, transaction

    from runs.models import Step

    run = _floor_run()
    sql, rows = _step_inserts(run, WARMUP_CALLS + samples)
    numbers = count()

    def raw() -> None:
        params = rows[next(numbers)]
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, params)

    def orm() -> None:
        number, now = next(numbers), datetime.now(UTC)
        with transaction.atomic():
            Step.objects.create(
                run=run,
                hashed_id=step_hash(f"orm{number}"),
                name=f"s{number % 10}",
                opcode="StepRun",
                status="Completed",
                memo={"data": number},
                position=number,
                attempts=1,
                started_at=now,
                ended_at=now,
            )

    time_calls(raw, WARMUP_CALLS)
    raw_ms = time_calls(raw, samples)
    time_calls(orm, WARMUP_CALLS)
    return {"raw": raw_ms, "orm": time_calls(orm, samples)}


def _step_inserts(run: "Run", how_many: int) -> tuple[str, list[list[object]]]:
    """An INSERT of a completed step and `how_many` rows for it, already in database form; the
    columns come from the model, so new fields get their defaults."""
    from django.db import connection

    from runs.models import Step

    fields = [f for f in Step._meta.concrete_fields if not f.primary_key]
    sql = (
        f"INSERT INTO {Step._meta.db_table} ({', '.join(f.column for f in fields)}) "
        f"VALUES ({', '.join(['%s'] * len(fields))})"
    )
    rows = []
    for number in range(how_many):
        now = datetime.now(UTC)
        values = {
            "run": run.id,
            "hashed_id": step_hash(f"raw{number}"),
            "name": f"s{number % 10}",
            "opcode": "StepRun",
            "status": "Completed",
            "memo": {"data": number},
            "position": number,
            "attempts": 1,
            "started_at": now,
            "ended_at": now,
        }
        rows.append(
            [f.get_db_prep_save(values.get(f.name, f.get_default()), connection) for f in fields]
        )
    return sql, rows


def _setup_django(data_dir: Path) -> None:
    """Configure Django in this process with the server's settings, on a database of its own."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "devserver.settings")
    import django

    django.setup()
    from django.core.management import call_command

    from devserver.datadir import use_data_dir

    use_data_dir(data_dir, reset=True)
    call_command("migrate", interactive=False, verbosity=0)


def _floor_run() -> "Run":
    """An app, function and run for the timed step rows to belong to."""
    from runs.models import App, Function, Run, RunStatus

    app = App.objects.create(name="bench-floor", url="http://127.0.0.1:9/api/inngest")
    function = Function.objects.create(
        app=app, slug="bench-floor-ten-steps", name="ten-steps", step_url=app.url
    )
    return Run.objects.create(
        id=str(ULID()),
        function=function,
        status=RunStatus.RUNNING,
        queued_at=datetime.now(UTC),
        started_at=datetime.now(UTC),
    )
