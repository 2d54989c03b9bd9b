"""The executor's per-step writes with their SQL built once per shape, not per call.

Building a query through the ORM costs 0.3-0.9 ms of CPU (measured on 2 cores), thirty times
what SQLite or Postgres need to run a one-row INSERT or UPDATE. A 10-step run makes about 25
such writes, so query building was the largest part of the server's CPU per run. These helpers
keep Django's own conversion of every value (`get_db_prep_save`: JSON, datetimes, time zones)
and its quoting, and cache only the SQL text. Use them where a statement runs per step or per
event; everywhere else the ORM reads better.

DEVSERVER_FAST_SQL=0 runs the same writes as ORM statements (`save(force_insert=True)`,
`QuerySet.update`, `QuerySet.delete`) with the same results, to rule this module out;
tests/integration/test_fast_sql_contract.py holds both paths to storing the same rows."""

import sqlite3
from collections.abc import Sequence
from functools import cache
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, IntegrityError, connections, models, transaction
from django.db.backends.base.base import BaseDatabaseWrapper

from . import field_values, statements


def insert(instance: models.Model, if_absent: bool = False) -> bool:
    """INSERT one row from a model instance (defaults and auto_now_add applied, no signals);
    sets its primary key when the database assigns it. With `if_absent`, a row that would break
    a unique constraint is not inserted (ON CONFLICT DO NOTHING) and False is returned."""
    if not settings.FAST_SQL:
        return _orm_insert(instance, if_absent)
    model = type(instance)
    fields, sql, returns = _insert_sql(model)
    if if_absent:
        head, _, tail = sql.partition(" RETURNING ")
        sql = f"{head} ON CONFLICT DO NOTHING" + (f" RETURNING {tail}" if tail else "")
    db = thread_db()
    values = field_values.row(fields, instance, db)
    returning = returns and db.features.can_return_columns_from_insert
    done = statements.execute(db, sql, values, fetch=returning)
    if returning:
        if done.row is None:  # the insert was skipped
            return False
        instance.pk = done.row[0]
    elif done.rowcount == 0:
        return False
    elif returns:
        instance.pk = done.lastrowid
    instance._state.adding = False
    instance._state.db = db.alias
    return True


def insert_many(instances: Sequence[models.Model]) -> None:
    """INSERT rows of one model whose primary keys are set by the caller (no key assigned by
    the database), as one executemany of the one-row statement: what `bulk_create` stores,
    without building its multi-row SQL per call (ingest stores every event through this)."""
    if not instances:
        return
    model = type(instances[0])
    if not settings.FAST_SQL:
        model._base_manager.bulk_create(instances)
        return
    fields, sql, returns = _insert_sql(model)
    assert not returns, f"{model.__name__}: its key is assigned by the database; use insert()"
    db = thread_db()
    rows = [field_values.row(fields, one, db) for one in instances]
    statements.execute_many(db, sql, rows)
    for one in instances:
        one._state.adding = False
        one._state.db = db.alias


def update(model: type[models.Model], where: dict[str, Any], **changes: Any) -> int:
    """UPDATE the rows whose fields equal `where` (a tuple or set of values means IN); returns
    how many rows changed, so a guarded change can tell a lost race."""
    _refuse_null(where)
    if not settings.FAST_SQL:
        return model._base_manager.filter(**_lookups(where)).update(**changes)
    shape = tuple((name, _width(value)) for name, value in where.items())
    sql = _update_sql(model, tuple(changes), shape)
    db = thread_db()
    params = [
        _field(model, name).get_db_prep_save(_key(value), db) for name, value in changes.items()
    ]
    params += _where_params(model, where, db)
    return statements.execute(db, sql, params).rowcount


def exists(model: type[models.Model], where: dict[str, Any]) -> bool:
    """Whether a row whose fields equal `where` exists: for checks made once per run (most
    runs have nothing to find), where building the ORM query would cost more than running it."""
    _refuse_null(where)
    if not settings.FAST_SQL:
        return model._base_manager.filter(**_lookups(where)).exists()
    shape = tuple((name, _width(value)) for name, value in where.items())
    db = thread_db()
    sql = _exists_sql(model, shape)
    done = statements.execute(db, sql, _where_params(model, where, db), fetch=True, read=True)
    return done.row is not None


def _orm_insert(instance: models.Model, if_absent: bool) -> bool:
    """`insert` through the ORM. No model of ours has save signal receivers, so this stores
    what the SQL path stores."""
    if not if_absent:
        instance.save(force_insert=True)
        return True
    try:
        with transaction.atomic():  # a savepoint: Postgres aborts the transaction otherwise
            instance.save(force_insert=True)
    except IntegrityError as exc:
        if not _unique_violation(exc):
            raise  # ON CONFLICT DO NOTHING skips unique conflicts only
        return False
    return True


def _unique_violation(exc: IntegrityError) -> bool:
    cause = exc.__cause__
    if isinstance(cause, sqlite3.IntegrityError):
        return cause.sqlite_errorcode in _SQLITE_UNIQUE
    return getattr(cause, "sqlstate", None) == "23505"  # Postgres: unique_violation


_SQLITE_UNIQUE = {sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY}


def _where_params(
    model: type[models.Model], where: dict[str, Any], db: BaseDatabaseWrapper
) -> list[Any]:
    """The values of `where` in the order _conditions writes them (an IN set sorted)."""
    params: list[Any] = []
    for name, value in where.items():
        field = _field(model, name)
        values = sorted(value) if _width(value) is not None else [value]
        params += [field.get_db_prep_value(_key(v), db) for v in values]
    return params


def thread_db() -> BaseDatabaseWrapper:
    """This thread's connection wrapper, looked up once per statement: `connection` is a proxy
    that finds it again (through asgiref's thread-local storage) on every attribute, and each
    field's conversion reads several (~15% of a step's INSERT)."""
    return connections[DEFAULT_DB_ALIAS]


def _lookups(where: dict[str, Any]) -> dict[str, Any]:
    """`where` as ORM lookups: a tuple or set of values means IN."""
    return {
        f"{name}__in" if _width(value) is not None else name: value for name, value in where.items()
    }


def _refuse_null(where: dict[str, Any]) -> None:
    """SQL's `= NULL` (and `IN (NULL)`) matches nothing where the ORM writes `IS NULL` (or
    drops the NULL): a condition on None is refused on both paths, never guessed."""
    for value in where.values():
        if value is None or (_width(value) is not None and None in value):
            raise ValueError(f"a condition compares with None: {where!r}")


def _width(value: Any) -> int | None:
    """How many values an IN condition holds; None for a plain equality."""
    return len(value) if isinstance(value, tuple | set | frozenset) else None


def _key(value: Any) -> Any:
    """A related object is stored as its primary key."""
    return value.pk if isinstance(value, models.Model) else value


def db_value(model: type[models.Model], name: str, value: Any) -> Any:
    """`value` as the database takes it for field `name` (for hand-written conditions)."""
    return _field(model, name).get_db_prep_value(value, thread_db())


def table(model: type[models.Model]) -> str:
    return thread_db().ops.quote_name(model._meta.db_table)


def column(model: type[models.Model], name: str) -> str:
    return _quoted(_field(model, name))


def _field(model: type[models.Model], name: str) -> models.Field:
    """The model's own field `name`. get_field also finds reverse relations, which have no
    column; every name given here is a field of the model itself."""
    field = model._meta.get_field(name)
    assert isinstance(field, models.Field), f"{model.__name__}.{name} is not a column"
    return field


def _quoted(field: models.Field) -> str:
    assert field.column is not None  # set for every concrete field when its model is built
    return thread_db().ops.quote_name(field.column)


def _returning() -> bool:
    return thread_db().features.can_return_columns_from_insert


@cache
def _insert_sql(model: type[models.Model]) -> tuple[list[models.Field], str, bool]:
    meta = model._meta
    auto_pk = isinstance(meta.pk, models.AutoField | models.BigAutoField | models.SmallAutoField)
    fields = [f for f in meta.local_concrete_fields if not (auto_pk and f.primary_key)]
    columns = ", ".join(_quoted(f) for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    sql = f"INSERT INTO {table(model)} ({columns}) VALUES ({marks})"
    if auto_pk and _returning():
        sql += f" RETURNING {_quoted(meta.pk)}"
    return fields, sql, auto_pk


@cache
def _update_sql(
    model: type[models.Model], changed: tuple[str, ...], where: tuple[tuple[str, int | None], ...]
) -> str:
    assignments = ", ".join(f"{column(model, name)} = %s" for name in changed)
    return f"UPDATE {table(model)} SET {assignments} WHERE {_conditions(model, where)}"


@cache
def _exists_sql(model: type[models.Model], where: tuple[tuple[str, int | None], ...]) -> str:
    return f"SELECT 1 FROM {table(model)} WHERE {_conditions(model, where)} LIMIT 1"


def _conditions(model: type[models.Model], where: tuple[tuple[str, int | None], ...]) -> str:
    return " AND ".join(
        f"{column(model, name)} = %s"
        if width is None
        else f"{column(model, name)} IN ({', '.join(['%s'] * width)})"
        for name, width in where
    )


def delete(model: type[models.Model], where: dict[str, Any]) -> int:
    """DELETE the rows whose fields equal `where` (no cascades: for rows nothing points to);
    returns how many rows were deleted."""
    _refuse_null(where)
    if not settings.FAST_SQL:
        _, per_model = model._base_manager.filter(**where).delete()
        return per_model.get(model._meta.label, 0)
    conditions = " AND ".join(f"{column(model, name)} = %s" for name in where)
    db = thread_db()
    params = [_field(model, name).get_db_prep_value(v, db) for name, v in where.items()]
    return statements.execute(db, f"DELETE FROM {table(model)} WHERE {conditions}", params).rowcount
