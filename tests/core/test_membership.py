"""membership(): `column IN keys` as the backend takes it best, always the same rows; SQLite's page cache."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import Column, Integer, MetaData, Numeric, String, Table, insert, select
from sqlalchemy.orm import Session

from o2c.core.db import SQLITE_CACHE_KIB, make_engine, membership

META = MetaData()
ITEMS = Table(
    "items",
    META,
    Column("id", Integer, primary_key=True),
    Column("key", String(32), index=True),
    Column("amount", Numeric(19, 4)),
)


@pytest.fixture
def session(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'm.sqlite3'}")
    META.create_all(engine)
    with Session(engine) as s:
        s.execute(
            insert(ITEMS),
            [{"id": i, "key": f"K-{i:05d}" if i % 7 else f"Ü'\"{i}", "amount": Decimal(i) / 4} for i in range(1, 6001)],
        )
        yield s
    engine.dispose()


def _ids(session, column, keys) -> list[int]:
    clauses = membership(session, column, keys)
    return sorted(i for clause in clauses for i in session.scalars(select(ITEMS.c.id).where(clause)))


def test_strings_and_integers_are_one_json_parameter_with_the_same_rows(session):
    keys = [f"K-{i:05d}" for i in range(1, 6001, 2)] + ["Ü'\"14", "nowhere", "K-00001"]  # more than one chunk
    clauses = membership(session, ITEMS.c.key, keys)
    assert len(clauses) == 1 and "json_each" in str(clauses[0])
    expected = sorted({i for i in range(1, 6001, 2) if i % 7} | {14})
    assert _ids(session, ITEMS.c.key, keys) == expected
    assert _ids(session, ITEMS.c.id, range(0, 6500, 3)) == list(range(3, 6001, 3))
    compiled = select(ITEMS.c.id).where(clauses[0]).compile(dialect=session.get_bind().dialect)
    params = tuple(compiled.params[name] for name in compiled.positiontup or ())
    rows = session.connection().exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}", params).all()
    plan = " ".join(str(row[3]) for row in rows)
    assert "USING COVERING INDEX ix_items_key" in plan or "USING INDEX ix_items_key" in plan, plan
    assert membership(session, ITEMS.c.key, []) == []


def test_other_keys_keep_chunked_in_lists(session):
    amounts = [Decimal(i) / 4 for i in range(1, 5001)]
    clauses = membership(session, ITEMS.c.amount, amounts)
    assert len(clauses) == 3 and all("json_each" not in str(c) for c in clauses)
    assert _ids(session, ITEMS.c.amount, amounts) == list(range(1, 5001))
    assert _ids(session, ITEMS.c.id, [True]) == [1]  # a bool is no JSON integer key


def test_sqlite_connections_get_the_larger_page_cache(session):
    assert session.connection().exec_driver_sql("PRAGMA cache_size").scalar() == -SQLITE_CACHE_KIB
