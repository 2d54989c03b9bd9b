"""foundation/fast_sql stores exactly what Django's ORM stores, for every model and field type.

fast_sql keeps Django's value conversion but writes its own SQL, so it leans on Django
internals: `Field.pre_save` and `get_db_prep_save`/`get_db_prep_value`,
`_meta.local_concrete_fields`, `_meta.get_field` by name and attname,
`connection.ops.quote_name`, `connection.features.can_return_columns_from_insert`,
`cursor.lastrowid`/`rowcount` and `Model._state.adding`/`.db`. Each test writes one row
through fast_sql and a twin row through the ORM and compares the stored columns, so a Django
upgrade that changes any of those makes them differ. Every test runs with the piece on and
off (DEVSERVER_FAST_SQL=0: ORM statements)."""

import itertools
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from django.apps import apps
from django.db import IntegrityError, connection, models, transaction

from foundation import fast_sql

pytestmark = pytest.mark.django_db

OUR_APPS = ("events", "runs", "flowcontrol", "console")
MODELS = sorted(
    (m for m in apps.get_models() if m._meta.app_label in OUR_APPS), key=lambda m: m._meta.label
)
# A time zone other than the database's (UTC), with microseconds: conversion must not lose them.
ZONE = timezone(timedelta(hours=5, minutes=30))
_numbers = itertools.count(1)


@pytest.fixture(params=[True, False], ids=["fast", "orm"])
def fast(request: pytest.FixtureRequest, settings: Any) -> bool:
    settings.FAST_SQL = request.param
    return request.param


def _value(field: models.Field, tag: str) -> Any:
    """A value of `field`'s type that is not its default; one branch per field type used."""
    number = next(_numbers)
    if isinstance(field, models.ForeignKey):
        return _parent(field.related_model)
    if isinstance(field, models.JSONField):
        return {"tag": tag, "list": [1, 2.5, "é ✓ \u2028", None, True], "deep": {"n": number}}
    if isinstance(field, models.DateTimeField):  # UTC (the server's own) or another zone
        zone = UTC if number % 2 else ZONE
        return datetime(2026, 11, 30, 12, 34, 56, 123456, tzinfo=zone) + timedelta(seconds=number)
    if isinstance(field, models.DurationField):
        return timedelta(seconds=number, microseconds=123456)
    if isinstance(field, models.BooleanField):
        return not field.get_default()
    if isinstance(field, models.IntegerField):  # Positive, Big, plain
        return 1_000_000_000 + number if isinstance(field, models.BigIntegerField) else number
    if isinstance(field, models.URLField):
        return f"http://127.0.0.1:9/{tag}/{number}"
    if isinstance(field, models.CharField | models.TextField):
        if field.choices:
            return field.choices[-1][0]
        text = f"{tag}-{number}-ünï"
        return text[-field.max_length :] if field.max_length else text
    raise AssertionError(f"{field!r}: a field type this contract test does not cover yet")


def _parent(model: type[models.Model]) -> models.Model:
    """A row of `model` made by the ORM, with every required field filled."""
    values = {}
    for field in model._meta.concrete_fields:
        auto_pk = field.primary_key and isinstance(field, models.AutoField)
        if auto_pk or field.null or field.has_default() or _auto_time(field):
            continue
        values[field.name] = _value(field, "parent")
    return model.objects.create(**values)


def _auto_time(field: models.Field) -> bool:
    return bool(getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False))


def _varying(model: type[models.Model]) -> set[str]:
    """Fields that must differ between two rows: unique ones, and enough of each unique
    constraint (its text fields, or all of it when it has none)."""
    names = {f.name for f in model._meta.concrete_fields if f.unique}
    for constraint in model._meta.constraints:
        fields = [model._meta.get_field(name) for name in getattr(constraint, "fields", ())]
        texts = [f.name for f in fields if isinstance(f, models.CharField)]
        names.update(texts or [f.name for f in fields])
    return names


def _twins(model: type[models.Model], full: bool) -> tuple[models.Model, models.Model]:
    """Two unsaved instances with the same values but for the varying fields. `full` fills
    every field; otherwise defaults and nulls are left to the model."""
    varying = _varying(model)
    shared: dict[str, Any] = {}
    own: tuple[dict[str, Any], dict[str, Any]] = ({}, {})
    for field in model._meta.concrete_fields:
        if (field.primary_key and isinstance(field, models.AutoField)) or _auto_time(field):
            continue
        if not full and (field.null or field.has_default()) and field.name not in varying:
            continue
        if field.name in varying:
            own[0][field.name], own[1][field.name] = _value(field, "a"), _value(field, "b")
        else:
            shared[field.name] = _value(field, "x")
    return model(**shared, **own[0]), model(**shared, **own[1])


def _stored(model: type[models.Model], pk: Any) -> dict[str, Any]:
    """The row as the database holds it (no conversion back to Python)."""
    fields = model._meta.concrete_fields
    columns = ", ".join(fast_sql.column(model, f.name) for f in fields)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {columns} FROM {fast_sql.table(model)} WHERE "
            f"{fast_sql.column(model, model._meta.pk.name)} = %s",
            [model._meta.pk.get_db_prep_value(pk, connection)],
        )
        rows = cursor.fetchall()
    assert len(rows) == 1, f"{model.__name__} {pk!r}: {len(rows)} rows"
    return dict(zip([f.name for f in fields], rows[0], strict=True))


def _comparable(model: type[models.Model], row: dict[str, Any]) -> dict[str, Any]:
    skip = _varying(model) | {model._meta.pk.name}
    skip |= {f.name for f in model._meta.concrete_fields if _auto_time(f)}
    return {name: value for name, value in row.items() if name not in skip}


def test_the_models_use_only_field_types_this_test_covers() -> None:
    for model in MODELS:
        for field in model._meta.concrete_fields:
            _value(field, "probe")


@pytest.mark.parametrize("full", [True, False], ids=["every-field", "defaults"])
@pytest.mark.parametrize("model", MODELS, ids=lambda m: m._meta.label)
def test_insert_stores_the_row_the_orm_stores(model: type[models.Model], full: bool, fast: bool):
    ours, theirs = _twins(model, full)
    before = datetime.now(ZONE)
    assert fast_sql.insert(ours) is True
    theirs.save(force_insert=True)
    assert ours.pk is not None, "the primary key the database assigned was not set"
    mine, reference = _stored(model, ours.pk), _stored(model, theirs.pk)
    assert _comparable(model, mine) == _comparable(model, reference)
    for field in model._meta.concrete_fields:
        if _auto_time(field):  # auto_now(_add) applied by pre_save, as save() does
            assert getattr(model.objects.get(pk=ours.pk), field.name) >= before
    # The instance knows it is stored: a later save() is an UPDATE, not a second INSERT.
    assert ours._state.adding is False and ours._state.db == "default"
    ours.save()
    assert model.objects.filter(pk=ours.pk).count() == 1


KEYED_MODELS = [m for m in MODELS if not fast_sql._insert_sql(m)[2]]  # keys set by the caller


@pytest.mark.parametrize("model", KEYED_MODELS, ids=lambda m: m._meta.label)
def test_insert_many_stores_the_rows_bulk_create_stores(model: type[models.Model], fast: bool):
    pairs = [_twins(model, full) for full in (True, False)]
    fast_sql.insert_many([ours for ours, _ in pairs])
    model._base_manager.bulk_create([theirs for _, theirs in pairs])
    for ours, theirs in pairs:
        mine, reference = _stored(model, ours.pk), _stored(model, theirs.pk)
        assert _comparable(model, mine) == _comparable(model, reference)
        assert ours._state.adding is False and ours._state.db == "default"


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m._meta.label)
def test_update_changes_the_row_as_the_orm_does(model: type[models.Model], fast: bool) -> None:
    ours, theirs = _twins(model, full=False)
    ours.save(force_insert=True)
    theirs.save(force_insert=True)
    pk_name = model._meta.pk.name
    changes = {}
    for field in model._meta.concrete_fields:
        if field.primary_key or field.name in _varying(model) or _auto_time(field):
            continue
        changes[field.name] = None if field.null else _value(field, "changed")
    if not changes:
        pytest.skip(f"{model.__name__} has only unique fields to change")
    assert fast_sql.update(model, {pk_name: ours.pk}, **changes) == 1
    assert model.objects.filter(pk=theirs.pk).update(**changes) == 1
    assert _comparable(model, _stored(model, ours.pk)) == _comparable(
        model, _stored(model, theirs.pk)
    )
    # Row counts: a set of values is IN; a condition that matches nothing changes nothing.
    first = next(iter(changes))
    value = changes[first]
    assert fast_sql.update(model, {pk_name: {ours.pk, theirs.pk}}, **{first: value}) == 2
    assert fast_sql.update(model, {pk_name: (ours.pk,)}, **{first: value}) == 1
    missing = "absent" if isinstance(model._meta.pk, models.CharField) else -1
    assert fast_sql.update(model, {pk_name: missing}, **{first: value}) == 0


def test_update_takes_a_foreign_key_by_attname_and_by_instance(fast: bool) -> None:
    step, _ = _twins(apps.get_model("runs", "Step"), full=True)
    fast_sql.insert(step)
    other = _parent(apps.get_model("runs", "Run"))
    Step = type(step)
    assert fast_sql.update(Step, {"id": step.pk}, run_id=other.pk) == 1
    assert Step.objects.get(pk=step.pk).run_id == other.pk
    assert fast_sql.update(Step, {"id": step.pk, "run_id": other.pk}, run=step.run) == 1
    assert Step.objects.get(pk=step.pk).run_id == step.run_id


def test_insert_if_absent_skips_only_a_unique_conflict(fast: bool) -> None:
    Run = apps.get_model("runs", "Run")
    first, second = _twins(Run, full=True)
    second.pk = first.pk
    assert fast_sql.insert(first) is True
    stored = _stored(Run, first.pk)
    assert fast_sql.insert(second, if_absent=True) is False
    assert _stored(Run, first.pk) == stored, "a skipped insert changed the stored row"
    # A failed statement breaks the transaction it runs in (Postgres): callers use a savepoint.
    with pytest.raises(IntegrityError), transaction.atomic():
        fast_sql.insert(second)
    third, _ = _twins(Run, full=True)
    third.queued_at = None  # NOT NULL is no unique conflict: it is raised, not skipped
    with pytest.raises(IntegrityError), transaction.atomic():
        fast_sql.insert(third, if_absent=True)


def test_insert_if_absent_sets_the_assigned_key(fast: bool) -> None:
    Step = apps.get_model("runs", "Step")
    step, _ = _twins(Step, full=True)
    assert fast_sql.insert(step, if_absent=True) is True
    assert Step.objects.filter(pk=step.pk).count() == 1


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m._meta.label)
def test_delete_counts_the_rows_it_deleted(model: type[models.Model], fast: bool) -> None:
    if model._meta.related_objects:
        pytest.skip("delete() is for rows nothing points to")
    row, _ = _twins(model, full=False)
    row.save(force_insert=True)
    pk_name = model._meta.pk.name
    assert fast_sql.delete(model, {pk_name: row.pk}) == 1
    assert fast_sql.delete(model, {pk_name: row.pk}) == 0
    assert not model.objects.filter(pk=row.pk).exists()


def test_a_condition_on_none_is_refused(fast: bool) -> None:
    QueueItem = apps.get_model("runs", "QueueItem")
    with pytest.raises(ValueError, match="None"):
        fast_sql.update(QueueItem, {"id": "x", "lease_owner": None}, attempt=1)
    with pytest.raises(ValueError, match="None"):
        fast_sql.update(QueueItem, {"id": {"x", None}}, attempt=1)
    with pytest.raises(ValueError, match="None"):
        fast_sql.delete(QueueItem, {"lease_owner": None})


def test_exists_finds_a_row_by_field_instance_or_set_of_values(fast: bool) -> None:
    step, _ = _twins(apps.get_model("runs", "Step"), full=True)
    fast_sql.insert(step)
    Step, other = type(step), _parent(apps.get_model("runs", "Run"))
    assert fast_sql.exists(Step, {"run": step.run, "status": step.status})
    assert fast_sql.exists(Step, {"run_id": step.run_id, "status": {step.status, "absent"}})
    assert not fast_sql.exists(Step, {"run": other, "status": step.status})
    assert not fast_sql.exists(Step, {"run": step.run, "status": ("absent",)})
