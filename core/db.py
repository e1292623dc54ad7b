"""Database plumbing: the declarative Base, engines, and the unit of work that entry points own."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping, MutableMapping, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any, ClassVar

from sqlalchemy import (
    ARRAY,
    JSON,
    Column,
    ColumnDefault,
    ColumnElement,
    DateTime,
    Engine,
    MetaData,
    Numeric,
    Select,
    String,
    Table,
    any_,
    bindparam,
    create_engine,
    event,
    func,
    select,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import DeclarativeBase, QueryableAttribute, Session, mapped_column, sessionmaker
from sqlalchemy.types import TypeDecorator

from o2c.core.clock import utcnow  # noqa: F401 - the models and services import it from here
from o2c.core.errors import AmountNotStorable
from o2c.core.money import STORED_SCALE, storable, stored_decimal

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class ExactNumeric(TypeDecorator[Decimal]):
    """Money and quantities: NUMERIC(19, 4), Decimal in and out on every backend, and only values every backend
    keeps exactly (core.money.storable). A float or an amount the database would round is refused with
    AmountNotStorable, never written: the embedded SQLite keeps NUMERIC as a binary double, so
    9999999999999999.99 would come back as 10000000000000000, and PostgreSQL refuses more than 15 integer digits.
    Entry points check amounts first (clear row errors, an exception reason); this is the last line."""

    impl = Numeric(19, 4, asdecimal=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> Any:
        # SQLite hands back the double it keeps; read it by its shortest repr (exact up to 15 significant digits)
        # rather than SQLAlchemy's '%.4f', which prints a 13-digit amount's binary tail (…99 as …9902)
        if dialect.name == "sqlite":
            return dialect.type_descriptor(Numeric(19, 4, asdecimal=False))
        return dialect.type_descriptor(self.impl)

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        return stored_decimal(value)

    def process_bind_param(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        if type(value) is Decimal and value.is_finite() and -_PLAIN_AMOUNT < value < _PLAIN_AMOUNT:
            kept = value.quantize(STORED_SCALE)  # under 10^11 with at most 4 decimals: 15 digits at most, storable
            if kept == value:  # the usual amount: no digit tuple to build (a cash batch binds 100,000 a 1x)
                return kept
        if type(value) is Decimal:  # checked first (a cash batch binds tens of thousands)
            amount = value
        elif isinstance(value, bool) or not isinstance(value, Decimal | int):
            raise AmountNotStorable(f"amounts are stored from Decimal, not {type(value).__name__}: {value!r}")
        else:
            amount = Decimal(value)
        if not storable(amount):
            raise AmountNotStorable(
                f"amount {amount} cannot be kept exactly (at most 15 significant digits, 15 before the point, "
                "4 after it)"
            )
        return amount.quantize(STORED_SCALE)


_PLAIN_AMOUNT = Decimal(10**11)  # below it, 4 decimals make 15 significant digits at most (core.money.storable)

# Money and quantities: NUMERIC(19, 4), returned as Decimal on every backend, refused when not kept exactly.
MoneyColumn = Annotated[Decimal, mapped_column(ExactNumeric())]
JsonColumn = JSON


class Base(DeclarativeBase):
    """Base of every table; one MetaData so Alembic sees them all."""

    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: DateTime(timezone=True)}
    if TYPE_CHECKING:
        __table__: ClassVar[Table]  # every model maps one plain table (DeclarativeBase types it FromClause)


SQLITE_CACHE_KIB = 64 * 1024


def make_engine(url: str, *, echo: bool = False) -> Engine:
    """An engine for the URL; SQLite gets foreign keys, WAL and a busy timeout so workers can share it."""
    if url.startswith("sqlite"):
        engine = create_engine(url, echo=echo, connect_args={"timeout": 30, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # pragma: no cover - trivial
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            # a page cache of up to 64 MiB (the default is 2 MiB): a cash batch touches invoice, journal and index
            # pages all over a table of hundreds of thousands of rows, and re-reading them from the OS cost CPU
            # that grew with the table (bench.matching 4x); the cache grows only as pages are used
            cur.execute(f"PRAGMA cache_size={-SQLITE_CACHE_KIB}")
            cur.close()
            # pysqlite's own transaction handling begins only before DML and lets RELEASE SAVEPOINT commit the
            # work of a begin_nested() that came first: a later rollback then kept half a posting. SQLAlchemy
            # owns BEGIN instead (its documented recipe); IMMEDIATE takes the write lock up front, so a
            # read-check-write (credit limit, open amount) is serialized as the row locks do on PostgreSQL.
            dbapi_conn.isolation_level = None

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn):  # pragma: no cover - trivial
            conn.exec_driver_sql("BEGIN IMMEDIATE")
            conn.info[_WRITE_LOCKED] = True

        @event.listens_for(engine, "before_cursor_execute")
        def _count_writes(conn, _cursor, statement, _params, _context, _executemany):
            if statement[:6].upper() != "SELECT":  # BEGIN, SAVEPOINT, INSERT, UPDATE, DELETE...
                conn.info[_WRITES] = conn.info.get(_WRITES, 0) + 1

        return engine
    return create_engine(url, echo=echo, pool_pre_ping=True)


_WRITES = "o2c.statements_not_select"
_WRITE_LOCKED = "o2c.begin_immediate"


def race_guard(session: Session) -> AbstractContextManager[object]:
    """Wrap an insert that checked first whether its unique key is taken: a savepoint where a concurrent
    transaction can take the key between the check and the insert (PostgreSQL), so its IntegrityError leaves the
    transaction usable for the caller's fallback; nothing where none can: on SQLite (make_engine's BEGIN
    IMMEDIATE) the transaction holds the database's write lock from its start, so nobody else inserts in between,
    and a savepoint would cost two statements and the ORM's nested-transaction bookkeeping for nothing."""
    if not is_postgres(session) and session.connection().info.get(_WRITE_LOCKED):
        return nullcontext()
    return session.begin_nested()


def unchanged_since_mark(session: Session) -> tuple[object, int] | None:
    """A mark of everything this transaction's database could have changed by: equal marks mean nothing was
    written in between, so a read answered at the first mark still holds at the second. SQLite only: its
    BEGIN IMMEDIATE holds the database's write lock for the whole transaction, so only this transaction can
    write, and every statement it runs that is not a SELECT (a write, a savepoint, a new BEGIN) moves the mark.
    None on PostgreSQL, where other transactions commit in between."""
    if is_postgres(session):
        return None
    info = session.connection().info
    return info, info.get(_WRITES, 0)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """A session factory whose sessions do not expire objects on commit."""
    return sessionmaker(engine, expire_on_commit=False)


_AFTER_COMMIT = "o2c.after_commit"


def after_commit(session: Session, effect: Callable[[], object]) -> None:
    """Buffer a side effect (a job to send) on this unit of work: it runs once the transaction has committed,
    and is dropped if it rolls back, so nobody outside ever hears of a row that does not exist."""
    session.info.setdefault(_AFTER_COMMIT, []).append(effect)


@contextmanager
def unit_of_work(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One transaction: commit on success, roll back on error, then run its buffered side effects (each unit of
    work has its own buffer, so threads never share one). Only entry points open these."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.info.pop(_AFTER_COMMIT, None)
        session.rollback()
        raise
    finally:
        session.close()
    _run_effects(session.info.pop(_AFTER_COMMIT, []))


def _run_effects(effects: list[Callable[[], object]]) -> None:
    """Every effect is tried; the first failure is raised afterwards (the rows are committed: the sweep, which
    finds documents whose job never ran, covers a job that could not be sent)."""
    failure: BaseException | None = None
    for effect in effects:
        try:
            effect()
        except Exception as exc:  # noqa: BLE001 - re-raised below, after the others had their turn
            failure = failure or exc
    if failure is not None:
        raise failure


def is_postgres(session_or_engine) -> bool:
    """True when talking to PostgreSQL (row locks available)."""
    bind = session_or_engine.get_bind() if isinstance(session_or_engine, Session) else session_or_engine
    return bind.dialect.name == "postgresql"


def membership(
    session: Session, column: ColumnElement[Any] | QueryableAttribute[Any], values: Iterable[Any]
) -> list[ColumnElement[bool]]:
    """`column IN values` as few clauses as the backend allows (OR them, or run one query each): PostgreSQL takes
    the whole set as one array parameter (`= ANY(...)`, one statement however many keys); SQLite takes strings or
    integers as one JSON array (json_each), other keys in chunks of IN (...) under its bind-parameter limit. No
    clause for no values."""
    ordered = sorted(set(values))
    if not ordered:
        return []
    if is_postgres(session):
        return [column == any_(bindparam(None, ordered, type_=ARRAY(column.type)))]
    if all(type(v) is str for v in ordered) or all(type(v) is int for v in ordered):
        # SQLite: strings or integers as one JSON parameter, `column IN (SELECT value FROM json_each(?))`: one
        # statement compiled once (an expanding IN renders and binds a placeholder per key on every execution,
        # which was a tenth of a cash batch's CPU), still answered by the column's index, one key at a time
        each = func.json_each(bindparam(None, json.dumps(ordered), type_=String())).table_valued("value")
        return [column.in_(select(each.c.value))]
    return [  # one expanding parameter per chunk: its keys are not coerced one by one into the expression
        column.in_(bindparam(None, ordered[i : i + _CHUNK_KEYS], expanding=True, type_=column.type))
        for i in range(0, len(ordered), _CHUNK_KEYS)
    ]


_CHUNK_KEYS = 2000  # keys per IN (...): well under SQLite's bind-parameter limit


def insert_rows(session: Session, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert many rows (dicts with the same keys) in set-based statements, values bound as a Core insert binds
    them (the column types' own conversions; Python-side column defaults filled, a callable once per call: one
    timestamp for the rows written together). PostgreSQL: one COPY ... FROM STDIN per chunk (the server's bulk
    load: no statement to parse per row, no array to build and unpack); SQLite: one executemany of the driver,
    which runs in-process (without SQLAlchemy's per-row parameter bookkeeping)."""
    if not rows:
        return
    postgres = is_postgres(session)
    for start in range(0, len(rows), _CHUNK_ROWS):
        chunk = rows[start : start + _CHUNK_ROWS]
        if postgres:
            _copy_insert(session, table, chunk)
        else:
            _driver_executemany(session, table, chunk)


def insert_with_ids(session: Session, table: Table, rows: Sequence[MutableMapping[str, Any]]) -> list[int]:
    """insert_rows for a table with an integer primary key `id`: sets each row's "id" and returns the ids in row
    order. The ids are allocated up front in one statement, so no row needs a RETURNING round trip of its own.
    PostgreSQL: the column's own sequence (unique across concurrent transactions). SQLite: the rowids after the
    largest, which SQLite itself would assign next; the transaction holds the write lock from its BEGIN
    IMMEDIATE, so no other writer can take them before the insert that follows here."""
    if not rows:
        return []
    if is_postgres(session):
        sequence = func.pg_get_serial_sequence(table.name, "id")
        series = func.generate_series(1, len(rows)).table_valued("n")
        ids = sorted(session.scalars(select(func.nextval(sequence)).select_from(series)))
    else:
        top: int = session.scalar(_largest_id(table)) or 0
        ids = list(range(top + 1, top + 1 + len(rows)))
    for row, ident in zip(rows, ids, strict=True):
        row["id"] = ident
    insert_rows(session, table, rows)
    return ids


_CHUNK_ROWS = 10_000
_LARGEST_ID: dict[Table, Select] = {}  # by the table object (two metadata may share a name)


def _largest_id(table: Table) -> Select:
    """SELECT the table's largest id (0 when empty), built once per table: every inserting transaction asks."""
    stmt = _LARGEST_ID.get(table)
    if stmt is None:
        stmt = _LARGEST_ID[table] = select(func.coalesce(func.max(table.c.id), 0))
    return stmt


def _column_values(table: Table, rows: Sequence[Mapping[str, Any]]) -> list[tuple[Column, list]]:
    """(column, its values in row order) for the rows' keys, then for the columns with a Python-side default."""
    names = list(rows[0])
    if set(map(len, rows)) != {len(names)}:
        raise ValueError(f"rows for {table.name} must all have the same columns")
    out: list[tuple[Column, list]] = [(table.c[name], [row[name] for row in rows]) for name in names]
    for col in table.columns:
        default = col.default
        if col.name not in rows[0] and isinstance(default, ColumnDefault):
            call: Callable[[Any], Any] = default.arg  # SQLAlchemy wraps a no-argument callable to take a context
            out.append((col, [call(None) if default.is_callable else default.arg] * len(rows)))
    return out


def _driver_executemany(session: Session, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    connection = session.connection()
    dialect = connection.dialect
    columns, converted = [], []
    for col, values in _column_values(table, rows):
        process = col.type.bind_processor(dialect)
        columns.append(dialect.identifier_preparer.quote(col.name))
        converted.append([process(v) for v in values] if process else values)  # None-safe, as in a Core insert
    sql = (
        f"INSERT INTO {dialect.identifier_preparer.format_table(table)} ({', '.join(columns)}) "
        f"VALUES ({', '.join('?' * len(columns))})"
    )
    connection.exec_driver_sql(sql, list(zip(*converted, strict=True)))


def _copy_insert(session: Session, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """COPY table (...) FROM STDIN in text format: the rows as the server's own bulk-load path takes them (every
    constraint, index and foreign key still checked), each value through its column type's bind conversion as a
    Core insert would (ExactNumeric refuses a float, or an amount some backend would not keep exactly), then
    psycopg's C row writer.
    A DBAPI error is raised as SQLAlchemy's (IntegrityError for a unique key), as from any other statement."""
    connection = session.connection()
    dialect = connection.dialect
    names, converted = [], []
    for col, values in _column_values(table, rows):
        names.append(dialect.identifier_preparer.quote(col.name))
        if isinstance(col.type, JSON):  # JSON as its text (COPY parses it into the column's type)
            keep_null = col.type.none_as_null
            converted.append([None if v is None and keep_null else json.dumps(v) for v in values])
            continue
        process = col.type.bind_processor(dialect)
        converted.append([process(v) for v in values] if process else values)
    sql = f"COPY {dialect.identifier_preparer.format_table(table)} ({', '.join(names)}) FROM STDIN"
    dbapi, driver = dialect.loaded_dbapi, connection.connection.driver_connection  # psycopg's own connection
    if driver is None:
        raise RuntimeError("the pooled connection has no driver connection")
    try:
        with driver.cursor() as cursor, cursor.copy(sql) as copy:
            for row in zip(*converted, strict=True):
                copy.write_row(row)
    except dbapi.Error as failure:
        raise DBAPIError.instance(sql, None, failure, dbapi.Error) from failure
