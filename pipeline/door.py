"""Where every file enters o2c — the one door for the CLI, the API, the connectors, the demo and the tests.

Bank statements go to banking (cash), everything else down the document pipeline (purchase orders,
remittance advices); a mail's bank-statement attachments take the cash road too. Callers only present the
result: the API maps it to HTTP codes, the CLI prints the outcomes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from o2c.extraction.emails import MessagePart, read_message
from o2c.extraction.errors import UnreadableDocument
from o2c.extraction.service import ExtractionLimits
from o2c.intake.sniff import BAI2, CAMT, MT940, is_supported, sniff_media_type
from o2c.matching.bank import BankPolicy
from o2c.pipeline.documents import (
    Arrival,
    DocumentDeferred,
    PipelineContext,
    document_outcomes,
    is_deferred,
    process_document,
    queued_outcome,
    receive,
    repeat_outcomes,
)
from o2c.pipeline.statements import import_statement

BANK_STATEMENTS = {MT940, BAI2, CAMT}
EMAIL = "message/rfc822"


def is_bank_statement(content: bytes, filename: str) -> bool:
    """True for camt, BAI2 and MT940 files (decided from the bytes)."""
    return sniff_media_type(content, filename) in BANK_STATEMENTS


@dataclass(frozen=True)
class Ingested:
    """What became of one file: the stored document, whether its bytes were seen before, whether a worker will
    read it, and one outcome per business document or bank credit."""

    document_id: int | None
    duplicate: bool
    media_type: str
    queued: bool = False
    outcomes: list[dict[str, Any]] = field(default_factory=list)

    @property
    def reprocessable(self) -> bool:
        """Bytes seen before whose original was rejected: o2c can read them again (`o2c reprocess`)."""
        return self.duplicate and bool(self.outcomes) and bool(self.outcomes[0].get("reprocessable"))

    @property
    def supported(self) -> bool:
        """False for a file type o2c does not read (it is stored and rejected all the same)."""
        return self.media_type in BANK_STATEMENTS or is_supported(self.media_type)


def accept(
    ctx: PipelineContext,
    *,
    content: bytes,
    filename: str,
    channel: str,
    source_key: str | None = None,
    sender: str | None = None,
    bank_policy: BankPolicy | None = None,
) -> Ingested:
    """Store the file and take it down its road (inline, or queued for a worker when Redis is configured)."""
    media_type = sniff_media_type(content, filename)
    if media_type in BANK_STATEMENTS:  # cash, not a document: banking keeps the file and reads it inline
        credits = [
            as_ingest_outcome(o) for o in import_statement(ctx, content, filename, policy=bank_policy, channel=channel)
        ]
        first = credits[0] if credits else {}
        return Ingested(first.get("document_id"), bool(first.get("duplicate")), media_type, outcomes=credits)
    queued = ctx.queue is not None and is_supported(media_type)  # an unsupported file is rejected here, cheaply
    arrival = receive(
        ctx,
        content=content,
        filename=filename,
        channel=channel,
        source_key=source_key,
        sender=sender,
        queue_processing=queued,
        read_ahead=not queued,
    )
    if queued:
        outcomes = repeat_outcomes(ctx, arrival) if arrival.is_duplicate else [queued_outcome(arrival)]
    else:
        outcomes = _process_inline(ctx, arrival)
    if media_type == EMAIL:  # a statement mailed by the bank or a customer
        for part in mailed_statements(content, ctx.limits):
            outcomes += [
                as_ingest_outcome(o)
                for o in import_statement(
                    ctx, part.content, f"{filename}#{part.name}", policy=bank_policy, channel=channel
                )
            ]
    return Ingested(arrival.document_id, arrival.is_duplicate, media_type, queued, outcomes)


def _process_inline(ctx: PipelineContext, arrival: Arrival) -> list[dict[str, Any]]:
    """Run the steps now; a repeat of bytes seen before says "duplicate" unless this arrival did the reading
    (the first one met an environment fault) or the original was rejected (then: it can be reprocessed)."""
    waited = arrival.is_duplicate and is_deferred(ctx, arrival.document_id)
    try:
        outcomes = process_document(ctx, arrival.document_id, arrival.stored)  # also resumes an original cut short
    except DocumentDeferred:
        return document_outcomes(ctx, arrival.document_id)  # kept, received, with the error: retried later
    if arrival.is_duplicate and not waited:
        return repeat_outcomes(ctx, arrival)
    return outcomes


def ingest(
    ctx: PipelineContext,
    *,
    content: bytes,
    filename: str,
    channel: str,
    source_key: str | None = None,
    sender: str | None = None,
    bank_policy: BankPolicy | None = None,
) -> list[dict[str, Any]]:
    """`accept`, for callers that only want the outcomes (one per business document or bank credit)."""
    return accept(
        ctx,
        content=content,
        filename=filename,
        channel=channel,
        source_key=source_key,
        sender=sender,
        bank_policy=bank_policy,
    ).outcomes


def mailed_statements(content: bytes, limits: ExtractionLimits) -> list[MessagePart]:
    """The bank-statement attachments of an email (none when the mail cannot be read: the pipeline says why)."""
    try:
        parts, _warnings = read_message(content, max_parts=limits.max_email_parts, max_depth=limits.max_email_depth)
    except UnreadableDocument:
        return []
    return [p for p in parts if p.text is None and is_bank_statement(p.content, p.name)]


# A bank credit's own status, in the contract's words: the cash is recorded (posted) unless a person must look.
_CONTRACT_STATUS: dict[str | None, str] = {
    "applied": "posted",
    "linked": "posted",
    "on_account": "posted",
    "unmatched": "posted",
    "review": "exception",
    "rejected": "rejected",
}


def as_ingest_outcome(credit: dict[str, Any]) -> dict[str, Any]:
    """A bank-credit outcome in the ingest contract's shape; the credit's own status stays in `bank_status`."""
    status = credit.get("status")
    outcome = {
        "document_type": "bank_credit" if status != "rejected" else None,
        "order_id": None,
        "invoice_number": None,
        "applications": [],
        "reasons": [],
        "customer_id": None,
        **credit,
    }
    outcome["bank_status"] = status
    outcome["status"] = _CONTRACT_STATUS.get(status, "exception")
    if outcome["status"] == "rejected" and not outcome["reasons"]:
        outcome["reasons"] = ["unreadable"]
    return outcome
