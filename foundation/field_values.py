"""A model instance's values as the database takes them, for the hot path's INSERTs.

Django converts each value through a chain of calls per field (`pre_save`, `get_db_prep_save`,
`get_db_prep_value`, `get_prep_value`, `to_python`); for a step's row that was ~14 µs, about
what SQLite needs to store it, and a UTC datetime alone ~2.8 µs on SQLite. The values whose
conversion is the identity (a str for a text column, an int for an integer column, a bool, a
key) or a known rewrite (an aware UTC datetime on SQLite: its naive text) are taken directly;
every other value, and every other field type, goes through Django's chain.
tests/integration/test_fast_sql_contract.py holds the stored rows to the ORM's."""

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper

Prepare = Callable[[models.Model, BaseDatabaseWrapper], Any]

_TEXT = (models.CharField, models.TextField)
_INTEGER = (
    models.IntegerField,
    models.BigIntegerField,
    models.SmallIntegerField,
    models.PositiveIntegerField,
    models.PositiveBigIntegerField,
    models.PositiveSmallIntegerField,
)


_PREPARERS: dict[tuple[type[models.Model], str], list[Prepare]] = {}


def row(fields: list[models.Field], instance: models.Model, db: BaseDatabaseWrapper) -> list:
    """The values of `fields` of `instance`, in order, as `get_db_prep_save` would give them.
    `fields` is the one list of columns its model's INSERT writes (fast_sql builds it once per
    model), so the preparers are kept by model: hashing every field per row cost ~0.9 µs."""
    key = (type(instance), db.alias)
    preparers = _PREPARERS.get(key)
    if preparers is None:
        time_zone = db.settings_dict.get("TIME_ZONE")
        preparers = _PREPARERS[key] = [_preparer(f, db.vendor, time_zone) for f in fields]
    return [prepare(instance, db) for prepare in preparers]


def _preparer(field: models.Field, vendor: str, db_time_zone: str | None) -> Prepare:
    kind = type(field)
    if kind in _TEXT:
        return _taking(field, str)
    if kind in _INTEGER:
        return _taking(field, int)
    if kind is models.BooleanField:
        return _taking(field, bool)
    if kind is models.ForeignKey and type(field.target_field) in (*_TEXT, *_INTEGER):  # type: ignore[attr-defined]
        return _taking(field, str, int)
    stamped = getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)
    utc_text = vendor == "sqlite" and db_time_zone is None  # SQLite keeps UTC's naive text
    if kind is models.DateTimeField and not stamped and utc_text:
        return _utc_as_text(field)
    return _django(field)


def _django(field: models.Field) -> Prepare:
    def prepare(instance: models.Model, db: BaseDatabaseWrapper) -> Any:
        return field.get_db_prep_save(field.pre_save(instance, True), db)

    return prepare


def _taking(field: models.Field, *kinds: type) -> Prepare:
    """None and values of exactly these classes are stored as they are (a subclass, e.g. a
    bool in an integer column or a lazy string, takes Django's way)."""
    attname, slow = field.attname, _django(field)

    def prepare(instance: models.Model, db: BaseDatabaseWrapper) -> Any:
        value = getattr(instance, attname)
        if value is None or value.__class__ in kinds:
            return value
        return slow(instance, db)

    return prepare


def _utc_as_text(field: models.Field) -> Prepare:
    """Django's SQLite backend stores an aware datetime as the text of its naive UTC time."""
    attname, slow = field.attname, _django(field)

    def prepare(instance: models.Model, db: BaseDatabaseWrapper) -> Any:
        value = getattr(instance, attname)
        if value is None:
            return None
        if value.__class__ is datetime and value.tzinfo is UTC:
            return str(value.replace(tzinfo=None))
        return slow(instance, db)

    return prepare
