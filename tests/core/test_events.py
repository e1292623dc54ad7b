"""The event log: record_event appends in the caller's transaction, one Core insert, no ORM object to flush."""

from __future__ import annotations

import pytest
from sqlalchemy import event as sql_event
from sqlalchemy import select

import o2c.extraction.models  # noqa: F401
import o2c.intake.models  # noqa: F401
import o2c.ledger.models  # noqa: F401
import o2c.review.models  # noqa: F401
from o2c.core.db import Base, make_engine, make_session_factory, unit_of_work
from o2c.core.events import Event, record_event


@pytest.fixture
def factory(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite3'}")
    Base.metadata.create_all(engine)
    return make_session_factory(engine)


def test_an_event_is_inserted_at_once_without_an_orm_flush(factory):
    flushes = []
    with unit_of_work(factory) as s:
        sql_event.listen(s, "before_flush", lambda *a: flushes.append(a))
        record_event(s, "document.received", "document", 7, sha256="ab", size=3)
        record_event(s, "document.extracted", "document", 7, actor="worker")
        assert not s.new  # nothing pending for a later flush: the rows are already in the transaction
        rows = s.execute(select(Event.kind, Event.actor, Event.payload, Event.at).order_by(Event.id)).all()
    assert flushes == []
    assert [(r.kind, r.actor, r.payload) for r in rows] == [
        ("document.received", "system", {"sha256": "ab", "size": 3}),
        ("document.extracted", "worker", {}),
    ]
    assert all(r.at is not None for r in rows)


def test_a_rolled_back_savepoint_or_transaction_takes_its_events_back(factory):
    with unit_of_work(factory) as s:
        record_event(s, "kept", "document", 1)
        savepoint = s.begin_nested()
        record_event(s, "undone", "document", 1)
        savepoint.rollback()
    with pytest.raises(RuntimeError), unit_of_work(factory) as s:
        record_event(s, "failed", "document", 2)
        raise RuntimeError("the unit of work fails after its event")
    with unit_of_work(factory) as s:
        assert s.scalars(select(Event.kind)).all() == ["kept"]
