"""Frozen dataclasses as JSON and back: nested records, tuples of them, and timedeltas (as
seconds). Decoding ignores keys it does not know and gives absent fields their defaults, so a
record stored before a field was added still reads (a data migration fills the field in)."""

import dataclasses
import types
import typing
from datetime import timedelta
from functools import cache
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

Record = TypeVar("Record", bound="DataclassInstance")


def to_json(value: Any) -> Any:
    """A record (or what it holds) as JSON values."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_json(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, tuple | list):
        return [to_json(item) for item in value]
    if isinstance(value, timedelta):
        return value.total_seconds()
    return value


def from_json(cls: type[Record], data: Any) -> Record:
    """A `cls` record from what to_json made of one."""
    hints = _hints(cls)
    known = data if isinstance(data, dict) else {}
    values = {
        f.name: _decode(hints[f.name], known[f.name])
        for f in dataclasses.fields(cls)
        if f.name in known
    }
    return cls(**values)


@cache
def _hints(cls: type) -> dict[str, Any]:
    # get_type_hints evaluates every annotation anew (~50 us a class): a function's spec is
    # decoded each time a run is loaded, so the hints are computed once per class.
    return typing.get_type_hints(cls)


def _decode(hint: Any, value: Any) -> Any:
    if value is None:
        return None
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):  # `X | None`
        [inner] = [arg for arg in typing.get_args(hint) if arg is not type(None)]
        return _decode(inner, value)
    if origin is tuple:  # `tuple[X, ...]`
        item = typing.get_args(hint)[0]
        return tuple(_decode(item, element) for element in value)
    if hint is timedelta:
        return timedelta(seconds=value)
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):  # a hint is a class
        return from_json(hint, value)
    return value
