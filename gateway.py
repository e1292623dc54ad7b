"""Where every file enters o2c: bank statements go to banking (cash), everything else down the document
pipeline (purchase orders, remittance advices). The CLI, the API and the connectors all call `ingest`."""

from __future__ import annotations

from typing import Any

from banking import import_statement
from extraction.emails import MessagePart, read_message
from extraction.errors import UnreadableDocument
from extraction.service import ExtractionLimits
from intake.sniff import BAI2, CAMT, MT940, sniff_media_type
from matching.bank import BankPolicy
from pipeline import PipelineContext
from pipeline import ingest as ingest_document

BANK_STATEMENTS = {MT940, BAI2, CAMT}


def is_bank_statement(content: bytes, filename: str) -> bool:
    """True for camt, BAI2 and MT940 files (decided from the bytes)."""
    return sniff_media_type(content, filename) in BANK_STATEMENTS


def ingest(ctx: PipelineContext, *, content: bytes, filename: str, channel: str, source_key: str | None = None,
           sender: str | None = None, bank_policy: BankPolicy | None = None) -> list[dict[str, Any]]:
    """Store the file and take it down its road; one outcome per business document or bank credit."""
    if is_bank_statement(content, filename):
        return [as_ingest_outcome(o) for o in import_statement(ctx, content, filename, policy=bank_policy,
                                                                 channel=channel)]
    outcomes = ingest_document(ctx, content=content, filename=filename, channel=channel, source_key=source_key,
                               sender=sender)
    if sniff_media_type(content, filename) == "message/rfc822":  # a statement mailed by the bank or a customer
        for part in mailed_statements(content, ctx.limits):
            outcomes += [as_ingest_outcome(o) for o in import_statement(
                ctx, part.content, f"{filename}#{part.name}", policy=bank_policy, channel=channel)]
    return outcomes


def mailed_statements(content: bytes, limits: ExtractionLimits) -> list[MessagePart]:
    """The bank-statement attachments of an email (none when the mail cannot be read: the pipeline says why)."""
    try:
        parts, _warnings = read_message(content, max_parts=limits.max_email_parts, max_depth=limits.max_email_depth)
    except UnreadableDocument:
        return []
    return [p for p in parts if p.text is None and is_bank_statement(p.content, p.name)]


# A bank credit's own status, in the contract's words: the cash is recorded (posted) unless a person must look.
_CONTRACT_STATUS = {"applied": "posted", "linked": "posted", "on_account": "posted", "unmatched": "posted",
                    "review": "exception", "rejected": "rejected"}


def as_ingest_outcome(credit: dict[str, Any]) -> dict[str, Any]:
    """A bank-credit outcome in the ingest contract's shape; the credit's own status stays in `bank_status`."""
    status = credit.get("status")
    outcome = {"document_type": "bank_credit" if status != "rejected" else None, "order_id": None,
               "invoice_number": None, "applications": [], "reasons": [], "customer_id": None, **credit}
    outcome["bank_status"] = status
    outcome["status"] = _CONTRACT_STATUS.get(status, "exception")
    if outcome["status"] == "rejected" and not outcome["reasons"]:
        outcome["reasons"] = ["unreadable"]
    return outcome
