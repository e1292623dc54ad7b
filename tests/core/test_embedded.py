"""core/embedded.py reads every column of a filled database as the ORM does: same values, same Python types."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import Enum

import pytest
from sqlalchemy import select

from o2c.core.db import Base, make_engine, make_session_factory, unit_of_work
from o2c.core.embedded import read_transaction, records, sqlite_file
from o2c.core.environment import environment_database_url
from o2c.core.money import stored_decimal
from o2c.core.settings import load_settings
from o2c.extraction import models as _extraction  # noqa: F401 - every model module, so Base.registry has all
from o2c.intake import models as _intake  # noqa: F401
from o2c.ledger import models as _ledger  # noqa: F401
from o2c.review import models as _review  # noqa: F401


def test_every_column_of_every_table_reads_as_the_orm_reads_it(demo_database):
    sessions = make_session_factory(make_engine(f"sqlite:///{demo_database}"))
    seen_types: set[type] = set()
    compared = 0
    with unit_of_work(sessions) as session, read_transaction(demo_database) as connection:
        for mapper in Base.registry.mappers:
            table = mapper.local_table
            key = [c.name for c in table.primary_key.columns]
            orm_rows = session.scalars(select(mapper.class_).order_by(*table.primary_key.columns)).all()
            raw = records(connection, table.name, "1 ORDER BY " + ", ".join(f'"{k}"' for k in key))
            assert len(raw) == len(orm_rows), table.name
            for orm_row, row in zip(orm_rows, raw, strict=True):
                for prop in mapper.column_attrs:
                    column = prop.columns[0]
                    ours, theirs = getattr(row, column.name), getattr(orm_row, prop.key)
                    assert ours == theirs, (table.name, column.name, ours, theirs)
                    assert type(ours) is type(theirs) or isinstance(theirs, Enum), (table.name, column.name)
                    seen_types.add(type(ours))
                    compared += 1
    assert compared > 1000
    assert {Decimal, datetime, date, list, dict, bool, str, int} <= seen_types  # the database exercised each type


def test_amounts_keep_their_digits():
    """A 15-digit amount stored as SQLite's double comes back as stored, not with the double's binary tail."""
    assert stored_decimal(99999999999.99) == Decimal("99999999999.9900")
    assert stored_decimal(105) == Decimal("105.0000") and stored_decimal(None) is None
    assert stored_decimal(Decimal("1.5")) == Decimal("1.5")


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("sqlite:////var/o2c/o2c.sqlite3", "/var/o2c/o2c.sqlite3"),
        ("sqlite:///data/o2c.sqlite3", "data/o2c.sqlite3"),
        ("sqlite+pysqlite:////tmp/x.db", "/tmp/x.db"),
        ("sqlite:///:memory:", None),
        ("sqlite://", None),
        ("sqlite:///file:x.db?mode=ro&uri=true", None),
        ("sqlite:///my%20dir/x.db", None),
        ("postgresql+psycopg://u@h/db", None),
    ],
)
def test_only_a_plain_sqlite_file_is_read_directly(url, path):
    found = sqlite_file(url)
    assert (str(found) if found else None) == path


def test_the_database_url_is_the_one_settings_gives(tmp_path, monkeypatch):
    for env in ({}, {"O2C_DATA_DIR": str(tmp_path)}, {"o2c_data_dir": "rel"}, {"O2C_DATABASE_URL": "sqlite:///x.db"}):
        for name in ("O2C_DATA_DIR", "O2C_DATABASE_URL", "o2c_data_dir"):
            monkeypatch.delenv(name, raising=False)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        assert environment_database_url() == load_settings().effective_database_url, env
