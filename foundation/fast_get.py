"""One row and the rows its foreign keys name, as `select_related(...).defer(...).get(pk=...)`
reads them, with the SQL built once per shape instead of per call.

The executor reads its run (with function, app and event) once per queue item; building that
query through the ORM (joins, deferred columns) was 7% of the embedded server's GIL time at
concurrency 8, several times what running it costs. Values still go through the converters
the ORM applies (the backend's, then each field's `from_db_value`) and instances are built
with `Model.from_db`, so they read back as the ORM's do. DEVSERVER_FAST_SQL=0 reads through the
ORM; tests/integration/test_fast_get_contract.py holds both to the same instances."""

import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

from django.conf import settings
from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper

from . import statements
from .fast_sql import thread_db

Converter = Callable[[Any, Any, Any], Any]
_local = threading.local()  # each thread's converters: they are bound to its connection


@dataclass(frozen=True)
class _Node:
    """One table of the query: a model, the fields it reads, and how it hangs on its parent."""

    model: type[models.Model]
    alias: str
    fields: tuple[models.Field, ...]
    parent: int | None  # index of the node whose foreign key names this one
    via: models.ForeignKey | None  # that foreign key


def get(
    model: type[models.Model], pk: Any, related: tuple[str, ...] = (), defer: tuple[str, ...] = ()
) -> Any:
    """`model._base_manager.select_related(*related).defer(*defer).get(pk=pk)`: raises
    `model.DoesNotExist` when there is no such row. `related` paths follow foreign keys
    (`"function__app"`); `defer` names fields of the related rows (`"function__config"`)."""
    if not settings.FAST_SQL:
        return model._base_manager.select_related(*related).defer(*defer).get(pk=pk)
    nodes, sql = _plan(model, related, defer)
    pk_field = model._meta.pk
    assert pk_field is not None  # every model has one
    db = thread_db()
    key = [pk_field.get_db_prep_value(pk, db)]
    row = statements.execute(db, sql, key, fetch=True, read=True).row
    if row is None:
        missing: type[Exception] = model.DoesNotExist  # type: ignore[attr-defined]  # set on each model class by ModelBase
        raise missing(f"{model._meta.object_name} matching query does not exist.")
    converters = [column_converters(node.fields, node.alias, db) for node in nodes]
    return _build(nodes, row, converters, db)


def _build(
    nodes: tuple[_Node, ...],
    row: tuple[Any, ...],
    converters: list[list[Any]],
    db: BaseDatabaseWrapper,
) -> Any:
    instances: list[models.Model | None] = []
    start = 0
    for index, node in enumerate(nodes):
        values = row[start : start + len(node.fields)]
        start += len(node.fields)
        if node.parent is not None and values[0] is None:  # LEFT JOIN found nothing
            instance = None
        else:
            converted = [
                convert(value, each, db)
                for value, each in zip(values, converters[index], strict=True)
            ]
            names = [field.attname for field in node.fields]
            instance = node.model.from_db(db.alias, names, converted)
        if node.parent is not None:
            parent = instances[node.parent]
            assert node.via is not None and parent is not None  # a chain ends at a missing row
            node.via.set_cached_value(parent, instance)
        instances.append(instance)
    return instances[0]


def convert(
    value: Any, converters: list[tuple[Converter, Any]], db: BaseDatabaseWrapper | None = None
) -> Any:
    """A column's value as the ORM reads it, through `column_converters`' list for it (`db`:
    the connection wrapper the list was built with; this thread's by default)."""
    db = thread_db() if db is None else db
    for converter, expression in converters:
        value = converter(value, expression, db)
    return value


def column_converters(
    fields: tuple[models.Field, ...], alias: str, db: BaseDatabaseWrapper | None = None
) -> list[list[tuple[Converter, Any]]]:
    """Per field, what the ORM's compiler applies to its column's value (the backend's
    converters, then the field's `from_db_value`), built once per thread and connection
    wrapper: they are bound to it. `db`: that wrapper (this thread's by default; on an event
    loop Django gives each task a wrapper of its own, so a caller there passes one it keeps)."""
    db = thread_db() if db is None else db
    if getattr(_local, "owner", None) is not db.ops:
        _local.converters, _local.owner = {}, db.ops
    built: dict = _local.converters
    key = (fields, alias)
    if key not in built:
        per_field = []
        for field in fields:
            expression = field.get_col(alias)
            found = db.ops.get_db_converters(expression)
            found += expression.get_db_converters(db)
            per_field.append([(converter, expression) for converter in found])
        built[key] = per_field
    return built[key]


@cache
def _plan(
    model: type[models.Model], related: tuple[str, ...], defer: tuple[str, ...]
) -> tuple[tuple[_Node, ...], str]:
    """The tables, in the order their columns are selected, and the SQL."""
    quote = thread_db().ops.quote_name
    nodes = [_Node(model, "t0", _read_fields(model, "", defer), None, None)]
    by_path = {"": 0}
    joins = []
    for path in related:
        parts = path.split("__")
        for depth in range(1, len(parts) + 1):
            here = "__".join(parts[:depth])
            if here in by_path:
                continue
            parent_index = by_path["__".join(parts[: depth - 1])]
            parent = nodes[parent_index]
            via = parent.model._meta.get_field(parts[depth - 1])
            assert isinstance(via, models.ForeignKey), f"{path}: {via} is not a foreign key"
            target = via.related_model
            assert isinstance(target, type)  # resolved once the app registry is ready
            alias = f"t{len(nodes)}"
            target_pk = target._meta.pk
            assert target_pk is not None and target_pk.column and via.column
            # As the ORM joins: outer from the first nullable foreign key on the way down.
            outer = via.null or _nullable(nodes, parent_index)
            kind = "LEFT OUTER JOIN" if outer else "INNER JOIN"
            joins.append(
                f"{kind} {quote(target._meta.db_table)} {alias} "
                f"ON {alias}.{quote(target_pk.column)} = {parent.alias}.{quote(via.column)}"
            )
            by_path[here] = len(nodes)
            nodes.append(_Node(target, alias, _read_fields(target, here, defer), parent_index, via))
    columns = ", ".join(
        f"{node.alias}.{quote(field.column)}"
        for node in nodes
        for field in node.fields
        if field.column
    )
    pk_field = model._meta.pk
    assert pk_field is not None and pk_field.column
    sql = (
        f"SELECT {columns} FROM {quote(model._meta.db_table)} t0 {' '.join(joins)} "
        f"WHERE t0.{quote(pk_field.column)} = %s"
    )
    return tuple(nodes), sql


def _nullable(nodes: list[_Node], index: int) -> bool:
    """Whether the node at `index` may be missing (a nullable foreign key on its way)."""
    node = nodes[index]
    while node.via is not None:
        if node.via.null:
            return True
        assert node.parent is not None
        node = nodes[node.parent]
    return False


def _read_fields(
    model: type[models.Model], path: str, defer: tuple[str, ...]
) -> tuple[models.Field, ...]:
    """The model's concrete fields in their order, without the deferred ones; the primary key
    first, as `Model.from_db` and the missing-row check need it."""
    prefix = f"{path}__" if path else ""
    deferred = {name[len(prefix) :] for name in defer if name.startswith(prefix)}
    deferred = {name for name in deferred if "__" not in name}
    fields = tuple(f for f in model._meta.concrete_fields if f.name not in deferred)
    assert fields[0].primary_key, f"{model.__name__}: the primary key is not the first field"
    return fields
