"""Reading the embedded SQLite database with the standard library's driver, for the commands that only read
records (`o2c export`, `o2c summary`): SQLAlchemy, its ORM and the models cost such a command about 15 bare
interpreter starts, and the reading needs none of them.

Values come back as core/db.py's column types return them through SQLAlchemy, chosen by the type the schema
declares for each column: DATETIME a naive datetime (SQLite keeps no offset), DATE a date, NUMERIC(19, 4) the
stored Decimal (core.money.stored_decimal, as ExactNumeric reads it), JSON the decoded value, BOOLEAN a bool;
everything else as the driver gives it. So the same formatting code turns either into the same output
(tests/core/test_embedded.py compares every column of a filled database with the ORM's values)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from o2c.core.money import stored_decimal

_PREFIXES = ("sqlite:///", "sqlite+pysqlite:///")


def sqlite_file(url: str) -> Path | None:
    """The file of a plain SQLite URL (`sqlite:///path`); None for anything else (another database, an in-memory
    or URI database, query options, escapes), which is then left to SQLAlchemy."""
    prefix = next((p for p in _PREFIXES if url.startswith(p)), None)
    if prefix is None:
        return None
    path = url[len(prefix) :]
    if not path or path == ":memory:" or any(c in path for c in "?%#") or path.startswith("file:"):
        return None
    return Path(path)


@contextmanager
def read_transaction(path: Path) -> Iterator[sqlite3.Connection]:
    """One read transaction on the database file: every statement inside sees the same snapshot."""
    connection = sqlite3.connect(path, timeout=30, isolation_level=None)
    try:
        connection.execute("BEGIN")
        yield connection
        connection.execute("COMMIT")
    finally:
        connection.close()


def to_datetime(value: str) -> datetime:
    """A DATETIME as SQLAlchemy reads it back from SQLite: naive, as written ('2026-03-31 12:00:00.000000')."""
    return datetime.fromisoformat(value)


def _datetime(value: Any) -> datetime | None:
    return None if value is None else to_datetime(value)


def _date(value: Any) -> date | None:
    return None if value is None else date.fromisoformat(value)


def _json(value: Any) -> Any:
    return None if value is None else json.loads(value)


def _bool(value: Any) -> bool | None:
    return None if value is None else bool(value)


_BY_DECLARED_TYPE: dict[str, Callable[[Any], Any]] = {
    "DATETIME": _datetime,
    "DATE": _date,
    "NUMERIC": stored_decimal,
    "JSON": _json,
    "BOOLEAN": _bool,
}


class Record:
    """One row read by `records`: its columns as attributes, like a model instance read by the ORM."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.__dict__.update(values)

    if TYPE_CHECKING:  # its attributes are the table's columns

        def __getattr__(self, name: str) -> Any: ...

    def __repr__(self) -> str:
        return f"Record({self.__dict__!r})"


def column_readers(connection: sqlite3.Connection, table: str) -> dict[str, Callable[[Any], Any] | None]:
    """Each column of the table with the conversion its declared type calls for (None: as the driver gives it)."""
    readers: dict[str, Callable[[Any], Any] | None] = {}
    for _cid, name, declared, *_ in connection.execute(f'PRAGMA table_info("{table}")'):
        readers[name] = _BY_DECLARED_TYPE.get(declared.split("(")[0].strip().upper())
    if not readers:
        raise LookupError(f"no table {table!r} in the database")
    return readers


def records(connection: sqlite3.Connection, table: str, condition: str, params: Sequence[Any] = ()) -> list[Record]:
    """Every column of the table's rows that `condition` (the SQL after WHERE, `?` parameters, may end in ORDER
    BY / LIMIT) selects, converted as SQLAlchemy would return them."""
    readers = column_readers(connection, table)
    columns = ", ".join(f'"{name}"' for name in readers)
    rows = connection.execute(f'SELECT {columns} FROM "{table}" WHERE {condition}', tuple(params))
    return [
        Record({name: read(v) if read else v for (name, read), v in zip(readers.items(), row, strict=True)})
        for row in rows
    ]
