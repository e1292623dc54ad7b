"""The document's road, as one ordered step table used by the inline mode, the CLI, the API and the worker.

    receive  -> store the bytes, record the arrival (duplicate bytes stop here)
    extract  -> read the stored file into business documents (outside any transaction)
    decide   -> per business document: resolve, validate, then post or open an exception

Every step re-reads the state it needs and does nothing if its work is already done, so any step may be
retried after a crash without losing a document or posting twice."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Row, bindparam, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from o2c.core.db import unit_of_work
from o2c.core.errors import (
    ConfigurationError,
    Conflict,
    EnvironmentFault,
    NotFound,
    O2CError,
    is_transient,
)
from o2c.core.events import record_event
from o2c.core.faults import crash_point
from o2c.core.states import check_transition
from o2c.extraction.errors import UnreadableDocument
from o2c.extraction.grounding import Grounding
from o2c.extraction.models import BusinessDocumentStatus, ExtractionRecord
from o2c.extraction.schema import OTHER, Extraction
from o2c.extraction.service import EXTRACTOR_VERSION, extract_document
from o2c.intake.models import DOCUMENT_MOVES, Document, DocumentStatus
from o2c.intake.service import receive_document
from o2c.ledger.errors import (
    ConcurrentUpdate,
    DuplicateOrder,
    DuplicatePayment,
    InsufficientUnappliedBalance,
    OverApplication,
)
from o2c.pipeline.context import PipelineContext, build_context
from o2c.pipeline.decide import ReviewedCash, decide_in_session, settle_claim
from o2c.pipeline.outcomes import (
    DUPLICATE,
    EXCEPTION,
    QUEUED,
    REJECTED,
    Outcome,
    conclude,
    record_outcome,
)
from o2c.review import service as review
from o2c.review.models import ExceptionItem

log = logging.getLogger(__name__)


# ---------------------------------------------------------------------------------------------- receive
@dataclass(frozen=True)
class StoredFile:
    """What the extract step reads back before it reads the file: the stored file's facts and extraction's
    grounding. A receive that hands its document straight on (inline) reads them in its own transaction, so the
    extract step needs no transaction of its own before the slow work."""

    sha256: str
    filename: str
    media_type: str
    grounding: Grounding


@dataclass(frozen=True)
class Arrival:
    """The result of the receive step (`stored`: see StoredFile; None unless the receive read ahead)."""

    document_id: int
    is_duplicate: bool
    filename: str
    stored: StoredFile | None = None


def receive(
    ctx: PipelineContext,
    *,
    content: bytes,
    filename: str,
    channel: str,
    source_key: str | None = None,
    sender: str | None = None,
    queue_processing: bool = False,
    read_ahead: bool = False,
) -> Arrival:
    """Step 1: store the bytes and record the arrival, in its own short transaction. With `queue_processing`
    the worker's job is sent once that transaction has committed (never for a rolled-back arrival). With
    `read_ahead` (the caller extracts next, in this process) a document still to be read comes back with what
    the extract step needs (Arrival.stored), read in this same transaction."""
    with unit_of_work(ctx.session_factory) as session:
        received = receive_document(
            session,
            ctx.store,
            content=content,
            filename=filename,
            channel=channel,
            source_key=source_key,
            sender=sender,
            max_bytes=ctx.max_upload_bytes,
        )
        if queue_processing and ctx.queue is not None:
            queue_document(ctx, session, received.document.id)
        document = received.document
        stored = None
        if read_ahead and not queue_processing and document.status == DocumentStatus.RECEIVED:
            stored = StoredFile(document.sha256, document.filename, document.media_type, ctx.grounding.get(session))
        return Arrival(document.id, received.is_duplicate, filename, stored)


PROCESS_JOB = "o2c.worker.process_document_job"


def queue_document(ctx: PipelineContext, session: Session, document_id: int) -> None:
    """Hand a stored document to a worker once the caller's transaction commits."""
    if ctx.queue is None:
        raise ConfigurationError("no job queue configured")
    ctx.queue.enqueue_after_commit(session, PROCESS_JOB, document_id, job_id=f"o2c-process-{document_id}")


# ---------------------------------------------------------------------------------------------- extract
def extract_step(ctx: PipelineContext, document_id: int, stored: StoredFile | None = None) -> list[int] | None:
    """Step 2: read the stored file (no transaction open while reading), then store the extractions.

    Returns the ids of the business documents it stored, in part order, for the decide step (None when it
    stored none: the work was done before, or the file was rejected or deferred). `stored`: what the receive
    step read ahead (otherwise read here); whether the work is still to do is decided when storing, either way."""
    if stored is None:
        with unit_of_work(ctx.session_factory) as session:
            document = session.get(Document, document_id)
            if document is None or document.status != DocumentStatus.RECEIVED:
                return None
            stored = StoredFile(document.sha256, document.filename, document.media_type, ctx.grounding.get(session))
    sha256, filename, media_type, grounding = stored.sha256, stored.filename, stored.media_type, stored.grounding
    try:
        extractions = extract_document(
            ctx.store.get(sha256), filename=filename, media_type=media_type, limits=ctx.limits, grounding=grounding
        )
    except UnreadableDocument as exc:
        _reject(ctx, document_id, exc.message, exc.reason)
        return None
    except Exception as exc:
        if is_transient(exc):  # the machine's fault, not the file's: keep it received, say why, retry later
            _defer(ctx, document_id, exc)
            raise DocumentDeferred(
                f"document {document_id} waits: {_describe(exc)}", document_id=document_id, cause=type(exc).__name__
            ) from exc
        # an extractor bug must not lose the document: keep it, with its error
        log.exception("extraction of document %s failed", document_id)
        _reject(ctx, document_id, f"extraction failed: {type(exc).__name__}: {exc}", "unreadable")
        return None
    if not extractions:  # an outcome for every file: "nothing to post here" is said, never implied
        extractions = [
            Extraction(
                source=filename,
                document_type=OTHER,
                confidence={"document_type": 1.0},
                warnings=["no purchase order or remittance advice found"],
            )
        ]
    with unit_of_work(ctx.session_factory) as session:
        # received -> extracted (a transient error of an earlier try is history: events keep it)
        if not _move_document(session, document_id, DocumentStatus.RECEIVED, DocumentStatus.EXTRACTED):
            return None  # another worker stored them first
        rows = []
        for index, extraction in enumerate(extractions):
            payload = extraction.to_contract()
            rows.append(
                {
                    "document_id": document_id,
                    "part_index": index,
                    "source": extraction.source,
                    "document_type": extraction.document_type,
                    "extractor_version": EXTRACTOR_VERSION,
                    "payload": payload,
                    "confidence": payload["confidence"],
                    "min_confidence": extraction.min_confidence(),
                    "status": BusinessDocumentStatus.EXTRACTED,
                }
            )
        # written once here and read back by the decide step in its own transaction: Core rows, no ORM objects;
        # one INSERT ... RETURNING for all parts, ids in part order
        ids = list(session.connection().execute(_INSERT_EXTRACTIONS, rows).scalars())
        record_event(session, "document.extracted", "document", document_id, parts=len(extractions))
        crash_point("extract.before_commit")
    return ids  # (committed: in part order)


_DOCUMENTS = Document.__table__
_EXTRACTIONS = ExtractionRecord.__table__
_INSERT_EXTRACTIONS = _EXTRACTIONS.insert().returning(_EXTRACTIONS.c.id, sort_by_parameter_order=True)
# The statements every document runs, built once (building a statement and its cache key costs the ORM more
# than SQLite takes to run it); values come in as parameters.
_MOVE = (
    _DOCUMENTS.update()
    .where(_DOCUMENTS.c.id == bindparam("document_id"), _DOCUMENTS.c.status == bindparam("current"))
    .values(status=bindparam("new", type_=_DOCUMENTS.c.status.type), error=None)
)
_DOCUMENT_EXISTS = select(_DOCUMENTS.c.id).where(_DOCUMENTS.c.id == bindparam("document_id"))
_DOCUMENT_FACTS = select(_DOCUMENTS.c.id, _DOCUMENTS.c.filename, _DOCUMENTS.c.status, _DOCUMENTS.c.error).where(
    _DOCUMENTS.c.id == bindparam("document_id")
)
_PART_OUTCOMES = (
    select(ExtractionRecord.id, ExtractionRecord.source, ExtractionRecord.document_type, ExtractionRecord.outcome)
    .where(ExtractionRecord.document_id == bindparam("document_id"))
    .order_by(ExtractionRecord.part_index)
)


def _move_document(session: Session, document_id: int, current: DocumentStatus, new: DocumentStatus) -> bool:
    """Move a document from `current` to `new` (its error cleared) in one conditional UPDATE, which locks the row
    as SELECT ... FOR UPDATE would (on SQLite the transaction holds the write lock already): True when it moved,
    False when the document stands elsewhere (another worker got there first); NotFound when there is none."""
    check_transition(DOCUMENT_MOVES, current, new, what=f"document {document_id}")
    if session.connection().execute(_MOVE, {"document_id": document_id, "current": current, "new": new}).rowcount:
        return True
    if session.scalar(_DOCUMENT_EXISTS, {"document_id": document_id}) is None:
        raise NotFound(f"document {document_id} does not exist")
    return False


class DocumentDeferred(EnvironmentFault):
    """A document could not be processed because of its environment; it stays received and is retried."""

    code = "document_deferred"


def _describe(exc: BaseException) -> str:
    return exc.message if isinstance(exc, O2CError) else f"{type(exc).__name__}: {exc}"


def _defer(ctx: PipelineContext, document_id: int, exc: BaseException) -> None:
    log.warning("document %s deferred by a transient fault: %s", document_id, _describe(exc))
    with unit_of_work(ctx.session_factory) as session:
        document = session.get(Document, document_id)
        if document is not None and document.status == DocumentStatus.RECEIVED:
            document.error = f"transient: {_describe(exc)}"
            record_event(session, "document.deferred", "document", document_id, error=_describe(exc))


def _reject(ctx: PipelineContext, document_id: int, message: str, reason: str) -> None:
    with unit_of_work(ctx.session_factory) as session:
        document = session.get(Document, document_id)
        if document is None:
            raise NotFound(f"document {document_id} does not exist")
        document.move_to(DocumentStatus.REJECTED, error=message)
        review.open_exception(
            session,
            document_id=document_id,
            extraction_id=None,
            document_type=OTHER,
            reasons=["unreadable"],
            evidence=[{"field": "document", "read": message, "rule": reason}],
        )
        record_event(session, "document.rejected", "document", document_id, reason=reason, error=message)


# ---------------------------------------------------------------------------------------------- decide
def decide_step(
    ctx: PipelineContext, document_id: int, extraction_ids: list[int] | None = None
) -> list[dict[str, Any]]:
    """Step 3: decide every business document of the file that is still undecided, one transaction each; the
    document's outcomes. extraction_ids: what the extract step just stored (all of the file's parts), so they
    are not looked up again; each is still decided only if it is undecided when its transaction locks it."""
    if extraction_ids is None:
        with unit_of_work(ctx.session_factory) as session:
            extraction_ids = list(
                session.scalars(
                    select(ExtractionRecord.id)
                    .where(
                        ExtractionRecord.document_id == document_id,
                        ExtractionRecord.status == BusinessDocumentStatus.EXTRACTED,
                    )
                    .order_by(ExtractionRecord.part_index)
                )
            )
    for extraction_id in extraction_ids:
        decide_business_document(ctx, extraction_id)
        crash_point("decide.after_commit")
    with unit_of_work(ctx.session_factory) as session:
        if _move_document(session, document_id, DocumentStatus.EXTRACTED, DocumentStatus.PROCESSED):
            record_event(session, "document.processed", "document", document_id)
        return _outcomes(session, session.execute(_DOCUMENT_FACTS, {"document_id": document_id}).one())


# A ledger refusal that means "another transaction got there first": deciding again sees the new state and
# reaches a sound outcome (a duplicate, an exception, or the posting). Anything else names a broken rule.
RACES = (
    ConcurrentUpdate,
    DuplicateOrder,
    DuplicatePayment,
    OverApplication,
    InsufficientUnappliedBalance,
    OperationalError,
    IntegrityError,
)
RETRY_DELAYS = (0.05, 0.25, 1.0)


def decide_business_document(ctx: PipelineContext, extraction_id: int, *, actor: str = "system") -> None:
    """Resolve, validate and post one business document, or open an exception with reasons and evidence.

    A lost race is decided again after a short backoff; a refusal that persists, or any other ledger rule
    broken at posting time, becomes an exception that names the rule: nothing is left stuck undecided."""
    for delay in (*RETRY_DELAYS, None):
        try:
            _decide_once(ctx, extraction_id, actor=actor)
            return
        except RACES as exc:
            if delay is None:
                _ledger_refused(ctx, extraction_id, exc)
                return
            log.info("extraction %s lost a race (%s); deciding again in %ss", extraction_id, exc, delay)
            time.sleep(delay)
        except O2CError as exc:
            _ledger_refused(ctx, extraction_id, exc)
            return


def _ledger_refused(ctx: PipelineContext, extraction_id: int, exc: Exception) -> None:
    """The ledger refused the posting for good: an exception naming the rule, with the refusal as evidence."""
    code = getattr(exc, "code", None) or type(exc).__name__
    message = getattr(exc, "message", None) or str(exc)[:500]
    log.warning("extraction %s: ledger refused (%s): %s", extraction_id, code, message)
    with unit_of_work(ctx.session_factory) as session:
        record = session.get(ExtractionRecord, extraction_id, with_for_update=True)
        if record is None or record.status != BusinessDocumentStatus.EXTRACTED:
            return
        evidence = [
            {
                "reason": code,
                "field": "ledger",
                "read": message,
                "rule": (type(exc).__doc__ or "").strip(),
                **{k: v for k, v in (getattr(exc, "detail", None) or {}).items() if k != "reason"},
            }
        ]
        item = review.open_exception(
            session,
            document_id=record.document_id,
            extraction_id=record.id,
            document_type=record.document_type,
            reasons=[code],
            evidence=evidence,
        )
        conclude(
            record,
            BusinessDocumentStatus.EXCEPTION,
            Outcome(
                status=EXCEPTION, reasons=item.reasons, customer_id=None, exception_id=item.id, extra={"rule": code}
            ),
        )


def _decide_once(ctx: PipelineContext, extraction_id: int, *, actor: str) -> None:
    with unit_of_work(ctx.session_factory) as session:
        record = session.get(ExtractionRecord, extraction_id, with_for_update=True)
        if record is None:
            raise NotFound(f"extraction {extraction_id} does not exist")
        decide_in_session(ctx, session, record, actor=actor)
        crash_point("decide.before_commit")


STEPS = ("extract", "decide")  # after receive, in order: extract_step, then decide_step


def process_document(ctx: PipelineContext, document_id: int, stored: StoredFile | None = None) -> list[dict[str, Any]]:
    """Run every step after receive, in order (each is a no-op when its work is done); the outcomes. `stored`:
    what the receive step read ahead for the extract step (Arrival.stored)."""
    return decide_step(ctx, document_id, extract_step(ctx, document_id, stored))


# ---------------------------------------------------------------------------------------------- outcomes
def queued_outcome(arrival: Arrival) -> dict[str, Any]:
    """The outcome for a new document handed to a worker: read it back later (GET /documents/{id})."""
    return Outcome(status=QUEUED).contract(source=arrival.filename, document_id=arrival.document_id, document_type=None)


def is_deferred(ctx: PipelineContext, document_id: int) -> bool:
    """True for a document kept received with the error of an environment fault (it is retried later)."""
    with unit_of_work(ctx.session_factory) as session:
        document = session.get(Document, document_id)
        return document is not None and document.status == DocumentStatus.RECEIVED and document.error is not None


def repeat_outcomes(ctx: PipelineContext, arrival: Arrival) -> list[dict[str, Any]]:
    """Bytes seen before: a duplicate, unless the original was rejected (then: it can be reprocessed)."""
    with unit_of_work(ctx.session_factory) as session:
        document = session.get(Document, arrival.document_id)
        rejected = document is not None and document.status == DocumentStatus.REJECTED
        error = document.error if document is not None else None
    if not rejected:
        return [duplicate_outcome(arrival)]
    outcome = document_outcomes(ctx, arrival.document_id)[0]
    outcome.update(
        reprocessable=True,
        duplicate_of=arrival.document_id,
        message=(
            f"these bytes arrived before as document {arrival.document_id} and were rejected ({error}); "
            f"run `o2c reprocess {arrival.document_id}` or POST /documents/{arrival.document_id}/reprocess "
            "(admin) to read it again"
        ),
    )
    return [outcome]


def reprocess(ctx: PipelineContext, document_id: int, *, actor: str = "system") -> list[dict[str, Any]]:
    """Run a document's steps again: a rejected one from the start (its 'unreadable' item closed), one left
    received or extracted by a fault from where it stopped. A processed document is a Conflict."""
    with unit_of_work(ctx.session_factory) as session:
        document = session.get(Document, document_id, with_for_update=True)
        if document is None:
            raise NotFound(f"document {document_id} does not exist")
        if document.status == DocumentStatus.PROCESSED:
            raise Conflict(f"document {document_id} is processed; resolve its exceptions instead")
        previous = document.status
        if document.status == DocumentStatus.REJECTED:
            review.close_document_exceptions(session, document_id, actor=actor, note="reprocessed")
        document.move_to(DocumentStatus.RECEIVED if previous == DocumentStatus.REJECTED else previous)
        record_event(session, "document.reprocess", "document", document_id, actor=actor, previous=previous.value)
        if ctx.queue is not None:
            queue_document(ctx, session, document_id)
    if ctx.queue is not None:
        return document_outcomes(ctx, document_id)
    try:
        return process_document(ctx, document_id)
    except DocumentDeferred:  # kept received with its error: the outcome says so
        return document_outcomes(ctx, document_id)


def duplicate_outcome(arrival: Arrival) -> dict[str, Any]:
    """The outcome for bytes seen before: points at the original document."""
    return Outcome(status=DUPLICATE, extra={"duplicate_of": arrival.document_id}).contract(
        source=arrival.filename, document_id=arrival.document_id, document_type=None
    )


def document_outcomes(ctx: PipelineContext, document_id: int) -> list[dict[str, Any]]:
    """The contract's ingest outcome for each business document of a file (or one for a rejected file)."""
    with unit_of_work(ctx.session_factory) as session:
        document = session.get(Document, document_id)
        if document is None:
            return []
        return _outcomes(session, document)


def _outcomes(session: Session, document: Document | Row) -> list[dict[str, Any]]:
    """The outcomes of a document (its id, filename, status and error: the row or only those columns)."""
    if document.status == DocumentStatus.REJECTED:
        item = session.scalar(
            select(ExceptionItem).where(ExceptionItem.document_id == document.id, ExceptionItem.extraction_id.is_(None))
        )
        rejected = Outcome(
            status=REJECTED,
            reasons=["unreadable"],
            exception_id=item.id if item else None,
            extra={"error": document.error},
        )
        return [rejected.contract(source=document.filename, document_id=document.id, document_type=None)]
    if document.status == DocumentStatus.RECEIVED and document.error:  # deferred by a transient fault
        waiting = Outcome(status=QUEUED, extra={"error": document.error, "retryable": True})
        return [waiting.contract(source=document.filename, document_id=document.id, document_type=None)]
    # the outcome columns only: a business document's payload (the whole extraction) is not needed here
    rows = session.execute(_PART_OUTCOMES, {"document_id": document.id})
    return [
        record_outcome(
            row.outcome,
            extraction_id=row.id,
            document_type=row.document_type,
            source=row.source,
            document_id=document.id,
        )
        for row in rows
    ]


def pending_documents(ctx: PipelineContext, *, older_than: timedelta | None = None) -> list[int]:
    """Documents whose processing was cut short (received or extracted but not finished): for the sweep;
    older_than: only those unchanged for at least that long (younger ones are still being worked on)."""
    stmt = select(Document.id).where(Document.status.in_([DocumentStatus.RECEIVED, DocumentStatus.EXTRACTED]))
    if older_than is not None:
        stmt = stmt.where(Document.updated_at <= datetime.now(UTC) - older_than)
    with unit_of_work(ctx.session_factory) as session:
        return list(session.scalars(stmt.order_by(Document.id)))


__all__ = [
    "PipelineContext",
    "build_context",
    "receive",
    "queued_outcome",
    "duplicate_outcome",
    "process_document",
    "document_outcomes",
    "decide_business_document",
    "decide_in_session",
    "ReviewedCash",
    "pending_documents",
    "queue_document",
    "STEPS",
    "reprocess",
    "repeat_outcomes",
    "is_deferred",
    "DocumentDeferred",
    "settle_claim",
]
