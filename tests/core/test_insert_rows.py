"""insert_rows / insert_with_ids: the set-based writes of the cash path (PostgreSQL: COPY; SQLite: the driver's
executemany) store what a Core insert would, refuse what the column types refuse, and raise SQLAlchemy's errors."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import JSON, Column, Date, DateTime, Integer, MetaData, String, Table, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from o2c.core.db import ExactNumeric, insert_rows, insert_with_ids, make_engine
from o2c.core.errors import AmountNotStorable

META = MetaData()
STAMP = datetime(2024, 6, 30, 12, 0, tzinfo=UTC)
ROWS = Table(
    "bulk_rows",
    META,
    Column("id", Integer, primary_key=True),
    Column("key", String(64), unique=True),
    Column("note", String(200), nullable=True),
    Column("amount", ExactNumeric()),
    Column("due", Date, nullable=True),
    Column("payload", JSON, nullable=True),
    Column("at", DateTime(timezone=True), default=lambda: STAMP),
)


@pytest.fixture
def session(database_url):
    engine = make_engine(database_url)
    META.create_all(engine)
    with Session(engine) as s:
        yield s
    engine.dispose()


def _row(n: int, **changes) -> dict:
    row = {
        "key": f"K-{n}",
        "note": "tab\there, new\nline, back\\slash, 'quote' \"dq\", Ü, \\N, null",
        "amount": Decimal("1234.56"),
        "due": date(2024, 7, 1),
        "payload": {"amount": "12.30", "list": [1, None], "text": "a\tb\\c"},
    }
    return row | changes


def test_rows_come_back_as_written_on_every_backend(session):
    rows = [_row(1), _row(2, note=None, due=None, payload=None, amount=Decimal("-0.0001")), _row(3, note="")]
    ids = insert_with_ids(session, ROWS, rows)
    got = {r.key: r for r in session.execute(select(ROWS).order_by(ROWS.c.id))}
    assert [got[f"K-{n}"].id for n in (1, 2, 3)] == ids
    for row in rows:
        back = got[row["key"]]
        assert (back.note, back.amount, back.due, back.payload) == (
            row["note"],
            row["amount"],
            row["due"],
            row["payload"],
        )
        assert back.at == STAMP
    assert isinstance(got["K-1"].amount, Decimal)


@pytest.mark.parametrize("amount", [Decimal("123456789012.3456"), 1.5])  # 16 significant digits; a float
def test_an_amount_the_column_refuses_is_refused_on_every_backend(session, amount):
    """On PostgreSQL the old unnest insert cast the raw value into NUMERIC(19, 4)[]: it stored what SQLite could
    not keep (16 digits) and took a float. The bulk path binds through the column type, as a Core insert does."""
    with pytest.raises(AmountNotStorable):
        insert_rows(session, ROWS, [_row(1), _row(2, amount=amount)])


def test_a_duplicate_key_is_sqlalchemys_integrity_error_and_the_savepoint_recovers(session):
    insert_rows(session, ROWS, [_row(1)])
    with pytest.raises(IntegrityError), session.begin_nested():
        insert_rows(session, ROWS, [_row(2), _row(1)])
    insert_rows(session, ROWS, [_row(3)])
    session.commit()
    assert sorted(session.scalars(select(ROWS.c.key))) == ["K-1", "K-3"]
