"""foundation/statements.py: which statements skip Django's cursor (on SQLite, inside a
transaction, or a read) and which keep it (a write outside a transaction takes its writer turn
there; a query log sees every statement). What the statements store is held to the ORM's by
tests/integration/test_fast_sql_contract.py and test_fast_get_contract.py."""

from collections.abc import Iterator

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from foundation import statements

sqlite_only = pytest.mark.skipif(
    connection.vendor != "sqlite", reason="every statement takes Django's cursor on Postgres"
)


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


@sqlite_only
@pytest.mark.django_db
def test_in_a_transaction_a_statement_skips_djangos_cursor(cursors_opened: list[int]) -> None:
    with transaction.atomic():  # its BEGIN or SAVEPOINT takes a cursor: count after it
        before = len(cursors_opened)
        done = statements.execute(connection, "SELECT %s, 'a%%'", [7], fetch=True, read=True)
        assert len(cursors_opened) == before
    assert done.row == (7, "a%")  # placeholders in qmark style, a doubled % as one


@sqlite_only
@pytest.mark.django_db
def test_a_query_log_sees_every_statement(cursors_opened: list[int]) -> None:
    with transaction.atomic(), CaptureQueriesContext(connection) as logged:
        before = len(cursors_opened)
        statements.execute(connection, "SELECT %s", [1], fetch=True, read=True)
        assert len(cursors_opened) == before + 1
    assert [q["sql"] for q in logged.captured_queries][-1] == "SELECT 1"


@pytest.mark.django_db(transaction=True)
def test_a_write_outside_a_transaction_takes_djangos_cursor(cursors_opened: list[int]) -> None:
    connection.ensure_connection()
    done = statements.execute(connection, "UPDATE runs_app SET name = name WHERE id = %s", [-1])
    assert done.rowcount == 0
    assert cursors_opened == [1]  # on SQLite, it took its turn among this process's writers
