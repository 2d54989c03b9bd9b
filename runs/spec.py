"""A function's configuration, typed: parsed once when its app syncs (registration.py) and
stored with the function (`Function.spec`, a SpecField), then read by triggers, cancellation,
the executor and (its `flow` part) flow control. A bad field is a SpecError whose message names
it (`timeouts.finish: invalid duration ...`). Changing FunctionSpec's fields needs a data
migration that re-parses the stored configs (as runs/migrations/0010_function_spec does)."""

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from functools import lru_cache
from typing import Any

from django.db import models

from flowcontrol.spec import FlowControl, SpecError, duration, expression, parse_flow
from foundation import records
from foundation.schedules import CronError, split_cron

MAX_TRIGGERS = 10

__all__ = ["CancelOn", "FunctionSpec", "SpecError", "SpecField", "Trigger", "parse_function"]


@dataclass(frozen=True)
class Trigger:
    """An event name (a trailing `*` matches a prefix) with an optional CEL `if`, or a cron
    with an optional `jitter` (JS 4.x `{cron, jitter}`, Python `TriggerCron(jitter=...)`):
    each tick's run starts a random time in [0, jitter) after the tick."""

    event: str = ""
    expression: str | None = None
    cron: str = ""
    jitter: timedelta | None = None


@dataclass(frozen=True)
class CancelOn:
    """`cancelOn`: an event named `event` (matching `if`) cancels the function's active runs
    queued less than `timeout` ago (any age without one)."""

    event: str
    condition: str | None = None
    timeout: timedelta | None = None


@dataclass(frozen=True)
class FunctionSpec:
    """What the engine reads of one function's configuration."""

    triggers: tuple[Trigger, ...] = ()
    retries: int | None = None  # steps.step.retries.attempts; None: the server's default
    cancel: tuple[CancelOn, ...] = ()
    start_timeout: timedelta | None = None  # timeouts.start: longest wait while queued
    finish_timeout: timedelta | None = None  # timeouts.finish: longest run once started
    priority: str | None = None  # priority.run: a CEL number of seconds to jump the queue
    flow: FlowControl = field(default_factory=FlowControl)

    @property
    def crons(self) -> list[str]:
        return [trigger.cron for trigger in self.triggers if trigger.cron]


def parse_function(config: Mapping[str, Any]) -> FunctionSpec:
    """Every option of a function as its app registered it; SpecError names the bad field."""
    timeouts = _section(config, "timeouts")
    priority = _section(config, "priority")
    start, finish = timeouts.get("start"), timeouts.get("finish")
    return FunctionSpec(
        triggers=_triggers(config.get("triggers")),
        retries=_retries(config),
        cancel=_cancel(config.get("cancel")),
        start_timeout=duration(start, "timeouts.start") if start else None,
        finish_timeout=duration(finish, "timeouts.finish") if finish else None,
        priority=expression(priority.get("run"), "priority.run"),
        flow=parse_flow(config),
    )


class SpecField(models.JSONField):
    """A FunctionSpec stored as JSON (records.to_json: durations in seconds), read back typed:
    a function's config is parsed once, when its app syncs, never when an event arrives."""

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if isinstance(value, str):  # the stored text: the same text decodes to an equal spec
            return _decoded_spec(value)
        data = super().from_db_value(value, expression, connection)
        return records.from_json(FunctionSpec, data) if isinstance(data, dict) else data

    def get_prep_value(self, value: Any) -> Any:
        if isinstance(value, FunctionSpec):
            value = records.to_json(value)
        return super().get_prep_value(value)

    def value_to_string(self, obj: Any) -> Any:
        return records.to_json(self.value_from_object(obj))


@lru_cache(maxsize=512)
def _decoded_spec(text: str) -> Any:
    """A stored spec decoded once per distinct text: every run loads its function's spec, and
    a spec is immutable (frozen records and tuples), so one decoded copy is shared."""
    data = json.loads(text)
    return records.from_json(FunctionSpec, data) if isinstance(data, dict) else data


def _section(config: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    section = config.get(name)
    if section is None:
        return {}
    if not isinstance(section, dict):
        raise SpecError(f"{name} must be an object, got {type(section).__name__}")
    return section


def _triggers(value: Any) -> tuple[Trigger, ...]:
    if not isinstance(value, list) or not value:
        raise SpecError("triggers must be a non-empty list")
    if len(value) > MAX_TRIGGERS:
        raise SpecError(f"at most {MAX_TRIGGERS} triggers, got {len(value)}")
    return tuple(_trigger(trigger, f"trigger {index}") for index, trigger in enumerate(value))


def _trigger(trigger: Any, where: str) -> Trigger:
    if not isinstance(trigger, dict):
        raise SpecError(f"{where} must be an object")
    if isinstance(trigger.get("event"), str) and trigger["event"]:
        condition = trigger.get("expression")
        return Trigger(
            event=trigger["event"],
            expression=_trigger_expression(condition, where) if condition else None,
        )
    if isinstance(trigger.get("cron"), str):
        try:
            split_cron(trigger["cron"])
        except CronError as exc:
            raise SpecError(f"{where}: {exc}") from None
        jitter = trigger.get("jitter")  # Python 0.5.19 sends null when it has none
        parsed = duration(jitter, f"{where}.jitter") if jitter is not None else None
        return Trigger(cron=trigger["cron"], jitter=parsed or None)  # "0s": none
    raise SpecError(f"{where} needs an event name or a cron schedule")


def _trigger_expression(value: Any, where: str) -> str | None:
    try:
        return expression(value, f"{where}.expression")
    except SpecError as exc:  # "trigger 0: invalid expression ...", as the SDKs show it
        raise SpecError(f"{where}: {str(exc).removesuffix(f' ({where}.expression)')}") from None


def _cancel(value: Any) -> tuple[CancelOn, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise SpecError(f"cancel must be a list, got {type(value).__name__}")
    cancels = []
    for index, entry in enumerate(value):
        where = f"cancel[{index}]"
        if not isinstance(entry, dict) or not isinstance(entry.get("event"), str):
            raise SpecError(f"{where} must be an object with an event name")
        timeout = entry.get("timeout")
        cancels.append(
            CancelOn(
                event=entry["event"],
                condition=expression(entry.get("if"), f"{where}.if"),
                timeout=duration(timeout, f"{where}.timeout") if timeout else None,
            )
        )
    return tuple(cancels)


def _retries(config: Mapping[str, Any]) -> int | None:
    """`steps.step.retries.attempts` (retries after the first attempt), when usable."""
    steps = config.get("steps")
    step: object = (
        (steps.get("step") or next(iter(steps.values()), {})) if isinstance(steps, dict) else {}
    )
    retries = step.get("retries") if isinstance(step, dict) else None
    attempts = retries.get("attempts") if isinstance(retries, dict) else None
    if isinstance(attempts, int) and not isinstance(attempts, bool) and attempts >= 0:
        return attempts
    return None
