"""Receiving a document: store the bytes, then record the arrival. Nothing happens before the store."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from o2c.core.db import race_guard
from o2c.core.events import record_event
from o2c.intake.errors import DocumentTooLarge, EmptyDocument
from o2c.intake.models import Document, DocumentStatus, Receipt
from o2c.intake.sniff import sniff_media_type
from o2c.intake.storage import BlobStore, sha256_of

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Received:
    """What receiving produced: the document, this arrival's receipt id, and whether the bytes were seen before."""

    document: Document
    receipt_id: int
    is_duplicate: bool


def mail_source_key(message_id: str | None, content: bytes) -> str | None:
    """A pushed e-mail's source key: its Message-ID *and* its content hash, so a reused id is a new arrival."""
    if not message_id:
        return None
    return f"{message_id[:400]}#sha256:{sha256_of(content)}"


def _reused_message_id(session: Session, channel: str, source_key: str) -> str | None:
    """The Message-ID of a source key when other content arrived under it before (a reuse), else None."""
    message_id, _, digest = source_key.rpartition("#sha256:")
    if not message_id:
        return None
    other = session.scalar(
        select(Receipt.id)
        .where(
            Receipt.channel == channel,
            Receipt.source_key.startswith(message_id + "#sha256:", autoescape=True),
            Receipt.source_key != source_key,
        )
        .limit(1)
    )
    if other is None:
        return None
    log.warning(
        "Message-ID %r arrived again with other content (sha256 %s): received as a new arrival", message_id, digest
    )
    return message_id


_BY_SHA256 = select(Document).where(Document.sha256 == bindparam("sha256"))  # built once: every arrival asks
# a receipt is written once and never read back in the receiving transaction: one Core insert (statement built
# once, column defaults as the ORM fills them), no ORM object and flush of its own
_INSERT_RECEIPT = Receipt.__table__.insert().returning(Receipt.__table__.c.id)


def receive_document(
    session: Session,
    store: BlobStore,
    *,
    content: bytes,
    filename: str,
    channel: str,
    source_key: str | None = None,
    sender: str | None = None,
    max_bytes: int | None = None,
) -> Received:
    """Store the bytes (blob first), then insert or find the Document and record the Receipt. Flushes only."""
    if max_bytes is not None and len(content) > max_bytes:
        raise DocumentTooLarge(f"{filename}: {len(content)} bytes is over the {max_bytes}-byte limit")
    if not content:
        raise EmptyDocument(f"{filename}: the file is empty")
    digest = store.put(content)  # the bytes are safe on disk before any row exists
    if source_key is not None:
        prior = session.scalar(select(Receipt).where(Receipt.channel == channel, Receipt.source_key == source_key))
        if prior is not None:  # the same connector item again (a retry): answer what we answered before
            return Received(prior.document, prior.id, prior.is_duplicate)
    document = session.scalar(_BY_SHA256, {"sha256": digest})
    is_duplicate = document is not None
    if document is None:
        document = Document(
            sha256=digest,
            media_type=sniff_media_type(content, filename),
            filename=filename,
            size_bytes=len(content),
            channel=channel,
            source_key=source_key,
            sender=sender,
            status=DocumentStatus.RECEIVED,
        )
        try:
            with race_guard(session):
                session.add(document)
                session.flush()
        except IntegrityError:  # a concurrent receiver stored the same bytes first
            document = session.scalars(select(Document).where(Document.sha256 == digest)).one()
            is_duplicate = True
    reused = _reused_message_id(session, channel, source_key) if source_key and "#sha256:" in source_key else None
    receipt_id = (
        session.connection()
        .execute(
            _INSERT_RECEIPT,
            {
                "document_id": document.id,
                "channel": channel,
                "source_key": source_key,
                "filename": filename,
                "is_duplicate": is_duplicate,
            },
        )
        .scalar_one()
    )
    if reused is not None:
        record_event(
            session, "document.message_id_reused", "receipt", receipt_id, message_id=reused, document_id=document.id
        )
    record_event(
        session,
        "document.duplicate" if is_duplicate else "document.received",
        "document",
        document.id,
        filename=filename,
        channel=channel,
        sha256=digest,
    )
    return Received(document, receipt_id, is_duplicate)
