"""Database plumbing: the declarative Base, engines, and the unit of work that entry points own."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated

from sqlalchemy import JSON, DateTime, Engine, MetaData, Numeric, Table, create_engine, event, func, insert, select
from sqlalchemy.orm import DeclarativeBase, Session, mapped_column, sessionmaker

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# Money and quantities: NUMERIC(19, 4), returned as Decimal on every backend.
MoneyColumn = Annotated[Decimal, mapped_column(Numeric(19, 4, asdecimal=True))]
JsonColumn = JSON


def utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


class Base(DeclarativeBase):
    """Base of every table; one MetaData so Alembic sees them all."""

    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: DateTime(timezone=True)}


def make_engine(url: str, *, echo: bool = False) -> Engine:
    """An engine for the URL; SQLite gets foreign keys, WAL and a busy timeout so workers can share it."""
    if url.startswith("sqlite"):
        engine = create_engine(url, echo=echo, connect_args={"timeout": 30, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # pragma: no cover - trivial
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.close()
            # pysqlite's own transaction handling begins only before DML and lets RELEASE SAVEPOINT commit the
            # work of a begin_nested() that came first: a later rollback then kept half a posting. SQLAlchemy
            # owns BEGIN instead (its documented recipe); IMMEDIATE takes the write lock up front, so a
            # read-check-write (credit limit, open amount) is serialized as the row locks do on PostgreSQL.
            dbapi_conn.isolation_level = None

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn):  # pragma: no cover - trivial
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    return create_engine(url, echo=echo, pool_pre_ping=True)


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


def insert_with_ids(session: Session, table: Table, rows: list[dict]) -> list[int]:
    """Insert rows (dicts without "id") into a table with an integer primary key `id`, as one executemany, and
    return their ids in row order: the ids are allocated up front in one statement, so no row needs a RETURNING
    round trip of its own. PostgreSQL: the column's own sequence (unique across concurrent transactions).
    SQLite: the rowids after the largest, which SQLite itself would assign next; the transaction holds the write
    lock from its BEGIN IMMEDIATE, so no other writer can take them before the insert that follows here."""
    if not rows:
        return []
    if is_postgres(session):
        sequence = func.pg_get_serial_sequence(table.name, "id")
        series = func.generate_series(1, len(rows)).table_valued("n")
        ids = sorted(session.scalars(select(func.nextval(sequence)).select_from(series)))
    else:
        top: int = session.scalar(select(func.coalesce(func.max(table.c.id), 0))) or 0
        ids = list(range(top + 1, top + 1 + len(rows)))
    session.execute(insert(table), [{**row, "id": ident} for row, ident in zip(rows, ids, strict=True)])
    return ids
