"""Tables of intake: a received file (one row per distinct content) and every arrival of it."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import BigInteger, Enum, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from o2c.core.db import Base, utcnow
from o2c.core.states import check_transition


class DocumentStatus(enum.StrEnum):
    """Where a received file stands. received -> extracted -> processed; or rejected with an error."""

    RECEIVED = "received"
    EXTRACTED = "extracted"
    PROCESSED = "processed"
    REJECTED = "rejected"


# The allowed moves (Document.move_to checks them). A rejected file may be read again (o2c reprocess); a bank
# statement is read in one go (received -> processed), and a refused one may be read once it is fixed upstream.
DOCUMENT_MOVES: dict[DocumentStatus, frozenset[DocumentStatus]] = {
    DocumentStatus.RECEIVED: frozenset({DocumentStatus.EXTRACTED, DocumentStatus.PROCESSED, DocumentStatus.REJECTED}),
    DocumentStatus.EXTRACTED: frozenset({DocumentStatus.PROCESSED, DocumentStatus.REJECTED}),
    DocumentStatus.PROCESSED: frozenset(),
    DocumentStatus.REJECTED: frozenset({DocumentStatus.RECEIVED, DocumentStatus.PROCESSED}),
}


class Channel(enum.StrEnum):
    """How a document arrived."""

    UPLOAD = "upload"
    EMAIL = "email"
    FOLDER = "folder"
    CLI = "cli"
    IMAP = "imap"


class Document(Base):
    """A received file, stored by content hash; the same bytes are one document however often they arrive."""

    __tablename__ = "documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    media_type: Mapped[str] = mapped_column(String(128))
    filename: Mapped[str] = mapped_column(String(512))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    channel: Mapped[str] = mapped_column(String(16))
    source_key: Mapped[str | None] = mapped_column(String(512))
    sender: Mapped[str | None] = mapped_column(String(320))
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    status: Mapped[DocumentStatus] = mapped_column(
        Enum(DocumentStatus, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e]),
        default=DocumentStatus.RECEIVED,
        index=True,
    )
    error: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    receipts: Mapped[list[Receipt]] = relationship(back_populates="document", order_by="Receipt.id")

    def move_to(self, status: DocumentStatus, *, error: str | None = None) -> None:
        """The only way a document's status changes: checked against DOCUMENT_MOVES; `error` is kept with it."""
        check_transition(DOCUMENT_MOVES, self.status, status, what=f"document {self.id}")
        self.status = status
        self.error = error


class Receipt(Base):
    """One arrival of a document through a channel; a second arrival of the same bytes is a duplicate."""

    __tablename__ = "receipts"
    __table_args__ = (UniqueConstraint("channel", "source_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    source_key: Mapped[str | None] = mapped_column(String(512))
    filename: Mapped[str] = mapped_column(String(512))
    is_duplicate: Mapped[bool] = mapped_column(default=False)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    attempt: Mapped[int] = mapped_column(Integer, default=1)

    document: Mapped[Document] = relationship(back_populates="receipts")


class MailboxOutcome(enum.StrEnum):
    """What became of one mailbox message. Every message handled gets one, so none is fetched twice."""

    DELIVERED = "delivered"  # handed to the pipeline; document_id points at what it became
    DUPLICATE = "duplicate"  # the same Message-ID (or bytes) was delivered before, e.g. after a UIDVALIDITY change
    REJECTED = "rejected"  # nothing usable (empty, too large, refused by intake): kept on the server, flagged
    VANISHED = "vanished"  # gone from the folder before it could be fetched
    FAILED = "failed"  # delivery raised unexpectedly; retried up to a limit, the message stays on the server


class MailboxMessage(Base):
    """One message the IMAP connector handled, keyed by (mailbox, UIDVALIDITY, UID)."""

    __tablename__ = "mailbox_messages"
    __table_args__ = (UniqueConstraint("mailbox", "uidvalidity", "uid"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    mailbox: Mapped[str] = mapped_column(String(512))
    uidvalidity: Mapped[int] = mapped_column(BigInteger)
    uid: Mapped[int] = mapped_column(BigInteger)
    message_id: Mapped[str | None] = mapped_column(String(998), index=True)
    sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    sender: Mapped[str | None] = mapped_column(String(320))
    subject: Mapped[str | None] = mapped_column(String(998))
    size_bytes: Mapped[int | None] = mapped_column(BigInteger)
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"), index=True)
    outcome: Mapped[MailboxOutcome] = mapped_column(
        Enum(MailboxOutcome, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e]),
    )
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    filed: Mapped[bool] = mapped_column(default=False)  # moved to the processed folder or flagged
    handled_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
