"""Bank credits in the ledger: record statement credits once, tie each to the Payment it is (a posted
remittance it confirms, or a payment posted from it), and show the cash not yet applied. Services flush only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from o2c.core.db import is_postgres, utcnow
from o2c.core.errors import Conflict
from o2c.core.events import record_event
from o2c.core.money import decimal_str, quantize
from o2c.ledger.cash import PaymentDraft, PlannedApplication, PostedPayment, post_payment
from o2c.ledger.models import BankCredit, Payment

UNMATCHED, LINKED, APPLIED, ON_ACCOUNT, REVIEW = "unmatched", "linked", "applied", "on_account", "review"
RETURNED = "returned"  # a reviewer sent the money back to the payer: it never becomes a payment
STATUSES = (UNMATCHED, LINKED, APPLIED, ON_ACCOUNT, REVIEW, RETURNED)


class BankCreditAlreadyDecided(Conflict):
    """The bank credit was already linked, applied or put on account; a credit becomes cash only once."""

    code = "bank_credit_already_decided"


class PaymentAlreadyLinked(Conflict):
    """The payment is already explained by another bank credit."""

    code = "payment_already_linked"


@dataclass(frozen=True)
class CreditLine:
    """One credit of a statement as the ledger records it (the reader's line plus the statement's account)."""

    account: str
    statement_format: str
    statement_id: str | None
    currency: str
    amount: Decimal
    value_date: date | None
    booking_date: date | None
    payer_name: str | None
    payer_account: str | None
    remittance_info: str | None
    references: list[dict]
    end_to_end_id: str | None
    bank_reference: str | None

    def base_key(self) -> str:
        """account | bank reference (or end-to-end id) | amount | value date: what makes a credit the same one."""
        reference = (self.bank_reference or self.end_to_end_id or "-")[:120]
        return f"{self.account[:64]}|{reference}|{decimal_str(self.amount)}|{self.value_date or '-'}"


def _money(value) -> str | None:
    return decimal_str(quantize(value)) if value is not None else None


def line_keys(lines: list[CreditLine]) -> list[str]:
    """Unique keys for a file's credits: identical credits of one file are told apart by their occurrence."""
    seen: dict[str, int] = {}
    keys = []
    for line in lines:
        base = line.base_key()
        seen[base] = seen.get(base, 0) + 1
        keys.append(f"{base}|{seen[base]}")
    return keys


def record_credits(
    session: Session, lines: list[CreditLine], *, source_document_id: int | None
) -> list[tuple[BankCredit, bool]]:
    """Insert each credit unless its key is known; returns (row, created) per line. Idempotent; flushes only."""
    result = []
    for line, key in zip(lines, line_keys(lines), strict=True):
        existing = session.scalar(select(BankCredit).where(BankCredit.line_key == key))
        if existing is not None:
            result.append((existing, False))
            continue
        row = BankCredit(
            line_key=key,
            source_document_id=source_document_id,
            status=UNMATCHED,
            account=line.account[:64],
            statement_format=line.statement_format,
            statement_id=(line.statement_id or "")[:64] or None,
            currency=line.currency,
            amount=line.amount,
            value_date=line.value_date,
            booking_date=line.booking_date,
            payer_name=(line.payer_name or "")[:256] or None,
            payer_account=(line.payer_account or "")[:64] or None,
            remittance_info=line.remittance_info,
            remittance_references=line.references,
            end_to_end_id=(line.end_to_end_id or "")[:128] or None,
            bank_reference=(line.bank_reference or "")[:128] or None,
            reasons=[],
        )
        try:
            with session.begin_nested():
                session.add(row)
                session.flush()
        except IntegrityError:  # a concurrent import recorded it first
            result.append((session.scalars(select(BankCredit).where(BankCredit.line_key == key)).one(), False))
            continue
        record_event(
            session,
            "bank_credit.recorded",
            "bank_credit",
            row.id,
            amount=decimal_str(row.amount),
            currency=row.currency,
        )
        result.append((row, True))
    return result


def lock_credit(session: Session, credit_id: int) -> BankCredit | None:
    """The credit, re-read under a row lock (PostgreSQL) so two workers never decide it twice."""
    stmt = select(BankCredit).where(BankCredit.id == credit_id)
    if is_postgres(session):
        stmt = stmt.with_for_update()
    return session.scalar(stmt.execution_options(populate_existing=True))


def _undecided(credit: BankCredit) -> None:
    if credit.status not in (UNMATCHED, REVIEW):
        raise BankCreditAlreadyDecided(f"bank credit {credit.id} is already {credit.status}", status=credit.status)


def link_payment(session: Session, credit: BankCredit, payment: Payment, *, rule: str) -> BankCredit:
    """The credit is the cash of an already posted remittance: tie them; nothing is posted again."""
    _undecided(credit)
    other = session.scalar(select(BankCredit.id).where(BankCredit.payment_id == payment.id))
    if other is not None and other != credit.id:
        raise PaymentAlreadyLinked(f"payment {payment.id} is explained by bank credit {other}")
    credit.status, credit.payment_id, credit.rule, credit.customer_id = LINKED, payment.id, rule, payment.customer_id
    credit.reasons, credit.decided_at = [], utcnow()
    session.flush()
    record_event(session, "bank_credit.linked", "bank_credit", credit.id, payment_id=payment.id, rule=rule)
    return credit


def post_credit(session: Session, credit: BankCredit, draft: PaymentDraft, *, rule: str, today: date) -> PostedPayment:
    """Post the credit as a payment with its applications (none: the cash stays on the customer's account)."""
    _undecided(credit)
    posted = post_payment(session, draft, source_extraction_id=None, today=today)
    credit.status = APPLIED if draft.applications else ON_ACCOUNT
    credit.payment_id, credit.rule, credit.customer_id = posted.payment_id, rule, draft.customer_id
    credit.reasons, credit.decided_at = [], utcnow()
    session.flush()
    record_event(
        session,
        "bank_credit.posted",
        "bank_credit",
        credit.id,
        payment_id=posted.payment_id,
        rule=rule,
        applications=len(posted.applications),
    )
    return posted


def credit_draft(
    credit: BankCredit, *, customer_id: str, applications: list[PlannedApplication] | tuple = ()
) -> PaymentDraft:
    """The payment a credit becomes for a customer: its applications, or none (the cash stays on account)."""
    return PaymentDraft(
        customer_id=customer_id,
        payer_name=credit.payer_name,
        payment_date=credit.value_date or credit.booking_date,
        payment_reference=credit.end_to_end_id or credit.bank_reference,
        payment_method="bank",
        currency=credit.currency,
        amount=credit.amount,
        applications=list(applications),
    )


def return_credit(session: Session, credit: BankCredit, *, reason: str) -> BankCredit:
    """A reviewer's choice: the credit is not ours to keep (wrong payee, unknown payer); it goes back to the
    sender and never becomes a payment, so nothing is posted and it no longer counts as unapplied cash."""
    _undecided(credit)
    credit.status, credit.rule, credit.reasons, credit.decided_at = RETURNED, "returned", [], utcnow()
    session.flush()
    record_event(
        session,
        "bank_credit.returned",
        "bank_credit",
        credit.id,
        reason=reason,
        amount=decimal_str(credit.amount),
        currency=credit.currency,
    )
    return credit


def credit_for_review_item(session: Session, review_item_id: int) -> BankCredit | None:
    """The bank credit an exception holds for review, under a row lock (PostgreSQL)."""
    credit_id = session.scalar(select(BankCredit.id).where(BankCredit.review_item_id == review_item_id))
    return lock_credit(session, credit_id) if credit_id is not None else None


def hold_for_review(
    session: Session, credit: BankCredit, *, reasons: list[str], review_item_id: int | None
) -> BankCredit:
    """Nothing could be decided safely: the credit waits for a reviewer, its cash shown as unapplied."""
    _undecided(credit)
    credit.status, credit.reasons = REVIEW, sorted(set(reasons))
    credit.review_item_id = review_item_id or credit.review_item_id
    credit.decided_at = utcnow()
    session.flush()
    record_event(session, "bank_credit.review", "bank_credit", credit.id, reasons=credit.reasons)
    return credit


def credit_age_hours(credit: BankCredit, now: datetime) -> float:
    """Hours since the credit was recorded (SQLite hands back naive UTC times)."""
    received = credit.received_at if credit.received_at.tzinfo else credit.received_at.replace(tzinfo=UTC)
    current = now if now.tzinfo else now.replace(tzinfo=UTC)
    return (current - received).total_seconds() / 3600


def unapplied_cash(session: Session) -> list[dict]:
    """Cash not (fully) applied: credits still unmatched or in review, and credits whose payment has cash left."""
    rows = session.execute(
        select(BankCredit, Payment)
        .outerjoin(Payment, Payment.id == BankCredit.payment_id)
        .order_by(BankCredit.value_date, BankCredit.id)
    ).all()
    found = []
    for credit, payment in rows:
        unapplied = credit.amount if payment is None else payment.unapplied_amount
        if credit.status == RETURNED:
            continue
        if credit.status in (UNMATCHED, REVIEW) or unapplied > 0:
            found.append(
                {
                    "credit_id": credit.id,
                    "account": credit.account,
                    "status": credit.status,
                    "value_date": credit.value_date.isoformat() if credit.value_date else None,
                    "payer_name": credit.payer_name,
                    "customer_id": credit.customer_id,
                    "currency": credit.currency,
                    "amount": _money(credit.amount),
                    "unapplied_amount": _money(unapplied),
                    "payment_id": credit.payment_id,
                    "reasons": credit.reasons or [],
                    "remittance_info": credit.remittance_info,
                }
            )
    return found
