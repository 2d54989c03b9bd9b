"""foundation/statements.py: which statements skip Django's cursor (on SQLite, inside a
transaction, or a read; on Postgres, all, through one cursor kept per connection) and which keep
it (a write outside a transaction takes its writer turn on SQLite; a query log sees every
statement). What the statements store is held to the ORM's by
tests/integration/test_fast_sql_contract.py and test_fast_get_contract.py."""

from collections.abc import Iterator

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from foundation import statements

sqlite_only = pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's writer turn")
postgres_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="the kept cursor")


@pytest.fixture
def cursors_opened(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """How many times Django's cursor was asked for."""
    opened: list[int] = []
    real = connection.cursor

    def counted():  # type: ignore[no-untyped-def]
        opened.append(1)
        return real()

    monkeypatch.setattr(connection, "cursor", counted)
    yield opened


@pytest.mark.django_db
def test_in_a_transaction_a_statement_skips_djangos_cursor(cursors_opened: list[int]) -> None:
    with transaction.atomic():  # its BEGIN or SAVEPOINT takes a cursor: count after it
        before = len(cursors_opened)
        done = statements.execute(connection, "SELECT %s, 'a%%'", [7], fetch=True, read=True)
        assert len(cursors_opened) == before
    assert done.row == (7, "a%")  # placeholders in qmark style on SQLite, a doubled % as one


@pytest.mark.django_db
def test_a_query_log_sees_every_statement(cursors_opened: list[int]) -> None:
    with transaction.atomic(), CaptureQueriesContext(connection) as logged:
        before = len(cursors_opened)
        statements.execute(connection, "SELECT %s", [1], fetch=True, read=True)
        assert len(cursors_opened) == before + 1
    assert [q["sql"] for q in logged.captured_queries][-1] == "SELECT 1"


@sqlite_only
@pytest.mark.django_db(transaction=True)
def test_a_write_outside_a_transaction_takes_djangos_cursor(cursors_opened: list[int]) -> None:
    connection.ensure_connection()
    done = statements.execute(connection, "UPDATE runs_app SET name = name WHERE id = %s", [-1])
    assert done.rowcount == 0
    assert cursors_opened == [1]  # on SQLite, it took its turn among this process's writers


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_on_postgres_a_write_outside_a_transaction_skips_djangos_cursor(
    cursors_opened: list[int],
) -> None:
    connection.ensure_connection()
    done = statements.execute(connection, "UPDATE runs_app SET name = name WHERE id = %s", [-1])
    assert done.rowcount == 0
    assert cursors_opened == []


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_on_postgres_the_kept_cursor_follows_a_new_connection() -> None:
    statements.execute(connection, "SELECT 1", [], fetch=True, read=True)
    first_backend = connection.connection.info.backend_pid
    connection.close()  # the next statement opens another connection and keeps a new cursor
    connection.ensure_connection()
    done = statements.execute(connection, "SELECT pg_backend_pid()", [], fetch=True, read=True)
    assert done.row is not None
    assert done.row[0] == connection.connection.info.backend_pid != first_backend


@pytest.mark.django_db(transaction=True)
def test_a_failed_statement_raises_djangos_error_and_the_next_transaction_runs() -> None:
    connection.ensure_connection()
    with pytest.raises(IntegrityError), transaction.atomic():
        statements.execute(connection, "INSERT INTO runs_app (id) VALUES (NULL)", [])
    with transaction.atomic():
        done = statements.execute(connection, "SELECT %s", [3], fetch=True, read=True)
    assert done.row == (3,)
