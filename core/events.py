"""The append-only event log: every state change of a document, order or payment leaves a row here."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Integer, String, event
from sqlalchemy.orm import Mapped, Session, mapped_column

from o2c.core.db import Base, utcnow


class Event(Base):
    """One thing that happened; rows are inserted, never updated or deleted."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    kind: Mapped[str] = mapped_column(String(64), index=True)
    subject_type: Mapped[str] = mapped_column(String(32))
    subject_id: Mapped[int] = mapped_column(Integer, index=True)
    actor: Mapped[str] = mapped_column(String(64), default="system")
    payload: Mapped[dict] = mapped_column(JSON, default=dict)


class AppendOnlyViolation(RuntimeError):
    """An event row was about to be changed or deleted."""


@event.listens_for(Session, "before_flush")
def _refuse_event_changes(session: Session, _ctx, _instances):
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, Event) and (obj in session.deleted or session.is_modified(obj)):
            raise AppendOnlyViolation("the event log is append-only")


def record_event(
    session: Session, kind: str, subject_type: str, subject_id: int, *, actor: str = "system", **payload
) -> Event:
    """Append an event to the caller's unit of work (never commits). It is not flushed on its own: the next
    flush (a query's autoflush, a savepoint, the commit) inserts it, with the unit of work's other events in
    one batch, in the order they were appended."""
    ev = Event(kind=kind, subject_type=subject_type, subject_id=subject_id, actor=actor, payload=payload)
    session.add(ev)
    return ev
