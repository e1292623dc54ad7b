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
) -> None:
    """Append an event to the caller's unit of work (never commits): one Core INSERT on the session's connection,
    in the same transaction (a rollback, or a savepoint's, takes it back), statement compiled once. No ORM object
    is made: nothing reads an event's id back, and an ORM flush per event cost several times the insert itself.
    The subject must already have its id (a flushed row), as the ORM insert required too."""
    row = {"kind": kind, "subject_type": subject_type, "subject_id": subject_id, "actor": actor, "payload": payload}
    session.connection().execute(_INSERT, row)


_INSERT = Event.__table__.insert()  # built once; `at` from the column's default
