"""Tables of intake: a received file (one row per distinct content) and every arrival of it."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import BigInteger, Enum, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, utcnow


class DocumentStatus(enum.StrEnum):
    """Where a received file stands. received -> extracted -> processed; or rejected with an error."""

    RECEIVED = "received"
    EXTRACTED = "extracted"
    PROCESSED = "processed"
    REJECTED = "rejected"


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
