"""Fold new history rows into the tallies: StatusChange (runs and steps), Attempt (failed
attempts) and Decision (flow control), each read past its cursor.

Why rows and not in-process counters: staging runs a web process and several Celery workers,
and each would hold its own counts. The rows are written by whichever process made the change,
in its transaction, so folding them gives one set of totals however many processes there are.
A scrape folds at most BATCH rows per source, so its cost is bounded; a backlog (the first
scrape after an upgrade) is caught up over the following scrapes.

Ids commit out of order under Postgres (a transaction that took id 7 may commit after the one
that took id 8), so a row is folded only once it is SETTLE old, and the fold stops at the first
row younger than that: a later commit of a lower id cannot be skipped."""

import json
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction

from flowcontrol.models import Decision
from foundation import clock
from runs.models import Attempt, Function, Run, StatusChange, Step
from runs.protocol import Opcode
from runs.statuses import TERMINAL_RUN_STATUSES, ErrorName, RunStatus, StepStatus, Subject

from . import families as F
from .models import Cursor, Tally

BATCH = 5000
SETTLE = timedelta(seconds=5)
# Steps the server performs itself (or that only wait): no call to the app ran them.
_NOT_APP_CALLS = frozenset({
    Opcode.SLEEP, Opcode.WAIT_FOR_EVENT, Opcode.WAIT_FOR_SIGNAL, Opcode.INVOKE,
    Opcode.AI_GATEWAY, Opcode.GATEWAY,
})  # fmt: skip
# Failures of the call itself rather than of the app's code.
_SDK_ERRORS = frozenset({
    ErrorName.SDK_TIMEOUT, ErrorName.SDK_UNREACHABLE, ErrorName.PROTOCOL_ERROR,
    ErrorName.SIGNATURE_REJECTED, ErrorName.SIGNATURE_INVALID,
})  # fmt: skip


class _Totals:
    """Increments gathered in memory, written once at the end of a fold."""

    def __init__(self) -> None:
        self.counts: dict[tuple[str, str], float] = defaultdict(float)
        self.observed: dict[tuple[str, str], list[float]] = defaultdict(list)

    def add(self, family: F.Family, labels: dict[str, str], amount: float = 1.0) -> None:
        self.counts[(family.name, _key(labels))] += amount

    def observe(self, family: F.Family, labels: dict[str, str], seconds: float) -> None:
        self.observed[(family.name, _key(labels))].append(max(seconds, 0.0))


def fold() -> None:
    """Fold every settled row past the cursors; safe to call from many processes at once
    (the cursors are locked, so two scrapes never fold the same rows)."""
    cutoff = clock.now() - SETTLE
    with transaction.atomic():
        for source in ("status_change", "attempt", "decision"):
            Cursor.objects.get_or_create(source=source)
        cursors = {c.source: c for c in Cursor.objects.select_for_update().order_by("source")}
        totals = _Totals()
        names = _FunctionNames()
        _fold_changes(cursors["status_change"], cutoff, totals, names)
        _fold_attempts(cursors["attempt"], cutoff, totals, names)
        _fold_decisions(cursors["decision"], cutoff, totals, names)
        _write(totals)
        for cursor in cursors.values():
            cursor.save(update_fields=["last_id"])


class _FunctionNames:
    """Labels of a function: its app's name and its slug (Inngest's `fn`)."""

    def __init__(self) -> None:
        self._cache: dict[int, dict[str, str]] = {}

    def load(self, function_ids: Iterable[int]) -> None:
        missing = set(function_ids) - set(self._cache)
        for fid, slug, app_name, app_url in Function.objects.filter(pk__in=missing).values_list(
            "id", "slug", "app__name", "app__url"
        ):
            self._cache[fid] = {"app": app_name or app_url, "fn": slug}

    def labels(self, function_id: int, **extra: str) -> dict[str, str]:
        return {**self._cache.get(function_id, {"app": "", "fn": str(function_id)}), **extra}


def _settled(
    model: Any, cursor: Cursor, cutoff: datetime, at: str, fields: list[str]
) -> list[dict[str, Any]]:
    rows = list(
        model.objects.filter(pk__gt=cursor.last_id).order_by("pk").values("pk", at, *fields)[:BATCH]
    )
    settled = []
    for row in rows:
        if row[at] > cutoff:
            break
        settled.append(row)
    if settled:
        cursor.last_id = settled[-1]["pk"]
    return settled


def _fold_changes(cursor: Cursor, cutoff: datetime, totals: _Totals, names: _FunctionNames) -> None:
    changes = _settled(
        StatusChange, cursor, cutoff, "at",
        ["subject", "run_id", "step_hashed_id", "from_status", "to_status"],
    )  # fmt: skip
    changes = [c for c in changes if c["subject"] in (Subject.RUN, Subject.STEP)]
    runs: dict[str, dict[str, Any]] = {
        r["id"]: dict(r)
        for r in Run.objects.filter(pk__in={c["run_id"] for c in changes}).values(
            "id", "function_id", "queued_at", "started_at", "ended_at"
        )
    }
    names.load(r["function_id"] for r in runs.values())
    step_keys = [(c["run_id"], c["step_hashed_id"]) for c in changes if c["subject"] == "step"]
    steps = _steps(step_keys)
    for change in changes:
        run = runs.get(change["run_id"])
        if run is None:  # deleted since (retention): nothing left to label it with
            continue
        if change["subject"] == Subject.RUN:
            _fold_run(change, run, totals, names)
        else:
            step = steps.get((change["run_id"], change["step_hashed_id"]))
            if step is not None:
                _fold_step(change, run, step, totals, names)


def _steps(keys: list[tuple[str, str]]) -> dict[tuple[str, str], dict[str, Any]]:
    if not keys:
        return {}
    rows = Step.objects.filter(
        run_id__in={k[0] for k in keys}, hashed_id__in={k[1] for k in keys}
    ).values("run_id", "hashed_id", "opcode", "started_at", "ended_at", "attempt_started_at")
    return {(s["run_id"], s["hashed_id"]): dict(s) for s in rows}


def _fold_run(change: dict, run: dict, totals: _Totals, names: _FunctionNames) -> None:
    labels = names.labels(run["function_id"])
    to = change["to_status"]
    if not change["from_status"]:
        totals.add(F.RUN_SCHEDULED, labels)
    elif change["from_status"] == RunStatus.QUEUED and to == RunStatus.RUNNING:
        totals.add(F.RUN_STARTED, labels)
    if to in TERMINAL_RUN_STATUSES:
        totals.add(F.RUN_ENDED, {**labels, "status": to})
        begun = run["started_at"] or run["queued_at"]
        if run["ended_at"] and begun:
            seconds = (run["ended_at"] - begun).total_seconds()
            totals.observe(F.RUN_DURATION, {**labels, "status": to}, seconds)


def _fold_step(change: dict, run: dict, step: dict, totals: _Totals, names: _FunctionNames) -> None:
    to = change["to_status"]
    if to not in (StepStatus.COMPLETED, StepStatus.FAILED) or step["ended_at"] is None:
        return
    labels = names.labels(run["function_id"])
    totals.observe(
        F.STEP_DURATION,
        {**labels, "status": to},
        (step["ended_at"] - step["started_at"]).total_seconds(),
    )
    if step["opcode"] in _NOT_APP_CALLS:
        return
    outcome = "success" if to == StepStatus.COMPLETED else "failed"
    totals.add(F.SDK_REQ_ENDED, {**labels, "status": outcome})
    if step["attempt_started_at"] is not None:
        seconds = (step["ended_at"] - step["attempt_started_at"]).total_seconds()
        totals.observe(F.SDK_REQ_DURATION, {**labels, "status": outcome}, seconds)


def _fold_attempts(
    cursor: Cursor, cutoff: datetime, totals: _Totals, names: _FunctionNames
) -> None:
    attempts = _settled(
        Attempt, cursor, cutoff, "ended_at", ["run__function_id", "started_at", "error"]
    )
    names.load(a["run__function_id"] for a in attempts)
    for attempt in attempts:
        labels = names.labels(attempt["run__function_id"])
        error = attempt["error"] if isinstance(attempt["error"], dict) else {}
        kind = "sdk" if error.get("name") in _SDK_ERRORS else "app"
        totals.add(F.STEP_ATTEMPT_FAILED, {**labels, "error": kind})
        totals.add(F.SDK_REQ_ENDED, {**labels, "status": "errored"})
        seconds = (attempt["ended_at"] - attempt["started_at"]).total_seconds()
        totals.observe(F.SDK_REQ_DURATION, {**labels, "status": "errored"}, seconds)


def _fold_decisions(
    cursor: Cursor, cutoff: datetime, totals: _Totals, names: _FunctionNames
) -> None:
    decisions = _settled(Decision, cursor, cutoff, "created_at", ["function_id", "kind"])
    names.load(d["function_id"] for d in decisions)
    for decision in decisions:
        totals.add(F.FLOW_DECISIONS, names.labels(decision["function_id"], kind=decision["kind"]))


_BY_NAME = {f.name: f for f in F.FOLDED}


def _write(totals: _Totals) -> None:
    keys = set(totals.counts) | set(totals.observed)
    if not keys:
        return
    existing = {
        (t.name, t.labels): t
        for t in Tally.objects.filter(
            name__in={k[0] for k in keys}, labels__in={k[1] for k in keys}
        )
    }
    for key in keys:
        family = _BY_NAME[key[0]]
        tally = existing.get(key) or Tally(name=key[0], labels=key[1])
        if family.is_histogram:
            buckets = list(tally.buckets) or [0] * (len(family.bounds) + 1)
            for seconds in totals.observed[key]:
                buckets[_bucket(family.bounds, seconds)] += 1
                tally.value += seconds
            tally.buckets = buckets
        else:
            tally.value += totals.counts[key]
        tally.save()


def _bucket(bounds: tuple[float, ...], seconds: float) -> int:
    for index, bound in enumerate(bounds):
        if seconds <= bound:
            return index
    return len(bounds)


def _key(labels: dict[str, str]) -> str:
    return json.dumps(labels, sort_keys=True, separators=(",", ":"))
