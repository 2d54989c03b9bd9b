"""A function's flow-control options, typed: parsed once when its app syncs (runs/spec.py), then
read by admission and concurrency. Durations are timedeltas and every CEL expression has
compiled; a bad option is a SpecError whose message names the field (`throttle.period`)."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Protocol

from events.expressions import ExpressionError, validate_expression
from foundation.durations import DurationError, parse_duration

MAX_CONCURRENCY = 2  # concurrency constraints per function, as Inngest allows
CONCURRENCY_SCOPES = ("fn", "env", "account")


class SpecError(ValueError):
    """An option we cannot use. The message names the field, e.g. `throttle.period: ...`."""


@dataclass(frozen=True)
class RateLimit:
    """At most `limit` starts per `period` and key; events over it are skipped."""

    limit: int
    period: timedelta
    period_text: str  # as the app wrote it ("1h"): decisions quote it
    key: str | None = None


@dataclass(frozen=True)
class Throttle:
    """Starts spaced to `limit` per `period` and key (GCRA), `burst` of them at once."""

    limit: int
    period: timedelta
    burst: int = 1
    key: str | None = None


@dataclass(frozen=True)
class Debounce:
    """The last event of a key wins, `period` after it came (at most `timeout` after the first)."""

    period: timedelta
    timeout: timedelta | None = None
    key: str | None = None


@dataclass(frozen=True)
class Batch:
    """Events of a key gathered into one run: `max_size` of them, or what came by `timeout`."""

    max_size: int
    timeout: timedelta
    key: str | None = None
    condition: str | None = None  # `if`: only matching events are batched


@dataclass(frozen=True)
class Singleton:
    """One active run per key: a new event is skipped, or (`cancel`) replaces the active run."""

    mode: str = "skip"
    key: str | None = None


@dataclass(frozen=True)
class Concurrency:
    """At most `limit` steps in flight per key, among the functions of `scope`."""

    limit: int
    scope: str = "fn"
    key: str | None = None


@dataclass(frozen=True)
class FlowControl:
    """Every flow-control option of one function; None (or empty) where it has none."""

    rate_limit: RateLimit | None = None
    idempotency: str | None = None  # a CEL key: one run per key value for 24 h
    debounce: Debounce | None = None
    batch: Batch | None = None
    singleton: Singleton | None = None
    throttle: Throttle | None = None
    concurrency: tuple[Concurrency, ...] = field(default_factory=tuple)


class Gated(Protocol):
    """What flow control needs of a function (runs.models.Function has it): its id, its slug
    (limiter scopes and concurrency keys) and its options."""

    @property
    def id(self) -> int: ...

    @property
    def slug(self) -> str: ...

    @property
    def flow(self) -> FlowControl: ...


def parse_flow(config: Mapping[str, Any]) -> FlowControl:
    """The flow-control options of a function's registered config. An option that is absent or
    null is off; one that is present must be usable."""
    return FlowControl(
        rate_limit=_optional(config, "rateLimit", _rate_limit),
        idempotency=expression(config.get("idempotency"), "idempotency"),
        debounce=_optional(config, "debounce", _debounce),
        batch=_optional(config, "batchEvents", _batch),
        singleton=_optional(config, "singleton", _singleton),
        throttle=_optional(config, "throttle", _throttle),
        concurrency=_concurrency(config.get("concurrency")),
    )


def _optional(config: Mapping[str, Any], name: str, parse: Any) -> Any:
    section = config.get(name)
    if section is None:
        return None
    if not isinstance(section, dict):
        raise SpecError(f"{name} must be an object, got {type(section).__name__}")
    return parse(section, name)


def _rate_limit(section: dict[str, Any], name: str) -> RateLimit:
    period = _required(section, "period", name)
    return RateLimit(
        limit=_count(section.get("limit"), f"{name}.limit"),
        period=duration(period, f"{name}.period"),
        period_text=str(period),
        key=expression(section.get("key"), f"{name}.key"),
    )


def _throttle(section: dict[str, Any], name: str) -> Throttle:
    return Throttle(
        limit=_count(section.get("limit"), f"{name}.limit"),
        period=duration(_required(section, "period", name), f"{name}.period"),
        burst=_count(section.get("burst"), f"{name}.burst"),
        key=expression(section.get("key"), f"{name}.key"),
    )


def _debounce(section: dict[str, Any], name: str) -> Debounce:
    timeout = section.get("timeout")
    return Debounce(
        period=duration(_required(section, "period", name), f"{name}.period"),
        timeout=duration(timeout, f"{name}.timeout") if timeout else None,
        key=expression(section.get("key"), f"{name}.key"),
    )


def _batch(section: dict[str, Any], name: str) -> Batch:
    return Batch(
        max_size=_count(section.get("maxSize"), f"{name}.maxSize"),
        timeout=duration(_required(section, "timeout", name), f"{name}.timeout"),
        key=expression(section.get("key"), f"{name}.key"),
        condition=expression(section.get("if"), f"{name}.if"),
    )


def _singleton(section: dict[str, Any], name: str) -> Singleton:
    mode = section.get("mode") or "skip"
    if mode not in ("skip", "cancel"):
        raise SpecError(f"{name}.mode must be skip or cancel, got {mode!r}")
    return Singleton(mode=mode, key=expression(section.get("key"), f"{name}.key"))


def _concurrency(value: Any) -> tuple[Concurrency, ...]:
    """Every form the SDKs send: a number, one object, or a list of up to two objects. An
    entry without a limit (or a limit of 0) sets no constraint."""
    if value is None:
        return ()
    if isinstance(value, int) and not isinstance(value, bool):
        value = [{"limit": value}]
    elif isinstance(value, dict):
        value = [value]
    if not isinstance(value, list):
        raise SpecError(f"concurrency must be a number, an object or a list, got {value!r}")
    constraints = []
    for index, entry in enumerate(value[:MAX_CONCURRENCY]):
        where = f"concurrency[{index}]"
        if not isinstance(entry, dict):
            raise SpecError(f"{where} must be an object, got {entry!r}")
        if not entry.get("limit"):
            continue
        scope = entry.get("scope") or "fn"
        if scope not in CONCURRENCY_SCOPES:
            raise SpecError(f"{where}.scope must be one of {', '.join(CONCURRENCY_SCOPES)}")
        constraints.append(
            Concurrency(
                limit=_count(entry["limit"], f"{where}.limit"),
                scope=scope,
                key=expression(entry.get("key"), f"{where}.key"),
            )
        )
    return tuple(constraints)


def duration(value: Any, where: str) -> timedelta:
    """A duration option ("10s", "1h30m", or milliseconds), or SpecError naming `where`."""
    try:
        return parse_duration(value)
    except DurationError as exc:
        raise SpecError(f"{where}: {exc}") from None


def expression(value: Any, where: str) -> str | None:
    """A CEL option: None when blank; otherwise it must compile (SpecError naming `where`)."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise SpecError(f"{where} must be a CEL expression (a string), got {value!r}")
    try:
        validate_expression(value)
    except ExpressionError as exc:
        raise SpecError(f"{exc} ({where})") from None
    return value


def _required(section: dict[str, Any], name: str, where: str) -> Any:
    value = section.get(name)
    if value is None or value == "":
        raise SpecError(f"{where}.{name} is required")
    return value


def _count(value: Any, where: str) -> int:
    """A whole number of at least 1; absent (or 0) means 1, as the SDKs' defaults do."""
    if value is None or value == 0:
        return 1
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise SpecError(f"{where} must be a whole number, got {value!r}")
    try:
        number = int(value)
    except (ValueError, OverflowError):
        raise SpecError(f"{where} must be a whole number, got {value!r}") from None
    if number < 1:
        raise SpecError(f"{where} must be at least 1, got {value!r}")
    return number
