"""Bank credits matched to what explains them: a posted remittance advice (link), the structured remittance the
bank line carries (apply), invoice numbers in its free text that settle exactly (apply), and, once the advice
has had time to arrive, the amount alone (apply only when one set of open invoices fits). Else review.

Nothing here writes: `decide_bank_credit` returns a decision; the composition root posts it."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from o2c.core.money import decimal_str, quantize
from o2c.extraction.schema import REMITTANCE_ADVICE, ExtractedRemittance, Extraction, RemittanceItem
from o2c.ledger.bank import credit_age_hours
from o2c.ledger.cash import PaymentDraft
from o2c.ledger.models import CLAIM_OPEN, BankCredit, ExpectedPayment, Payment, RemittanceLine
from o2c.ledger.policy import LedgerPolicy
from o2c.ledger.references import normalize_reference
from o2c.matching.customers import resolve_customer
from o2c.matching.decisions import AMBIGUOUS
from o2c.matching.open_items import invoices_by_reference
from o2c.matching.policy import MatchingPolicy
from o2c.matching.service import decide_remittance

LINK, POST, WAIT, REVIEW = "link", "post", "wait", "review"
_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9\-/._]{2,39}")
_NAME = re.compile(r"[^0-9a-z]+")


@dataclass(frozen=True)
class BankPolicy:
    """How long a credit waits for its remittance advice, and how far apart advice and credit dates may be."""

    advice_wait_hours: float = 48.0
    date_window_days: int = 7

    @classmethod
    def from_settings(cls, settings) -> BankPolicy:
        """The policy from a core.settings.Settings (missing knobs keep their defaults)."""
        d = cls()
        return cls(
            advice_wait_hours=float(getattr(settings, "bank_advice_wait_hours", d.advice_wait_hours)),
            date_window_days=int(getattr(settings, "bank_date_window_days", d.date_window_days)),
        )


@dataclass
class BankCreditDecision:
    """What to do with one bank credit: link it to a payment, post a draft, wait for the advice, or review."""

    action: str
    rule: str | None = None
    payment_id: int | None = None
    draft: PaymentDraft | None = None
    customer_id: str | None = None
    reasons: list[str] = field(default_factory=list)
    evidence: list[dict] = field(default_factory=list)


def _name_key(name: str | None) -> str:
    return _NAME.sub("", (name or "").casefold())


def _credit_text(credit: BankCredit) -> str:
    parts = [credit.remittance_info, credit.end_to_end_id, credit.bank_reference]
    parts += [ref.get("reference") for ref in credit.remittance_references or []]
    return " ".join(p for p in parts if p)


def _reference_keys(text: str) -> set[str]:
    return {normalize_reference(t) for t in _TOKEN.findall(text)} - {""}


def find_remittance_payment(
    session: Session, credit: BankCredit, *, payer_customer: str | None, policy: BankPolicy
) -> tuple[Payment | None, list[dict]]:
    """The one posted, not yet linked payment of this amount and currency, dated near the credit, that the payer
    or a reference corroborates; (None, candidates) when there is none or more than one."""
    linked = select(BankCredit.payment_id).where(BankCredit.payment_id.is_not(None))
    stmt = select(Payment).where(
        Payment.amount == credit.amount, Payment.currency == credit.currency, Payment.id.not_in(linked)
    )
    day = credit.value_date or credit.booking_date
    if day is not None:
        window = timedelta(days=policy.date_window_days)
        stmt = stmt.where(Payment.payment_date.is_(None) | Payment.payment_date.between(day - window, day + window))
    keys = _reference_keys(_credit_text(credit))
    corroborated, candidates = [], []
    for payment in session.scalars(stmt.order_by(Payment.id)):
        why = []
        if payer_customer and payment.customer_id == payer_customer:
            why.append("payer")
        elif credit.payer_name and _name_key(credit.payer_name) == _name_key(payment.payer_name):
            why.append("payer_name")
        refs = [payment.payment_reference] + list(
            session.scalars(select(RemittanceLine.invoice_reference).where(RemittanceLine.payment_id == payment.id))
        )
        if any(r and normalize_reference(r) in keys for r in refs):
            why.append("reference")
        candidates.append(
            {
                "payment_id": payment.id,
                "customer_id": payment.customer_id,
                "payer_name": payment.payer_name,
                "amount": decimal_str(payment.amount),
                "payment_date": payment.payment_date.isoformat() if payment.payment_date else None,
                "corroborated_by": why,
            }
        )
        if why:
            corroborated.append(payment)
    if len(corroborated) == 1:
        return corroborated[0], candidates
    return None, candidates


def find_expected_advice(
    session: Session, credit: BankCredit, *, payer_customer: str | None, policy: BankPolicy
) -> tuple[int | None, list[dict]]:
    """The one remittance advice awaiting its cash (a claim) that this credit confirms: same amount and currency,
    dated within the window, and the payer or a reference corroborates it. (None, candidates) otherwise."""
    keys = _reference_keys(_credit_text(credit))
    day = credit.value_date or credit.booking_date
    corroborated, candidates = [], []
    for claim in session.scalars(
        select(ExpectedPayment)
        .where(
            ExpectedPayment.status == CLAIM_OPEN,
            ExpectedPayment.currency == credit.currency,
            ExpectedPayment.amount == credit.amount,
        )
        .order_by(ExpectedPayment.id)
    ):
        paid_on = claim.payment_date
        if day is not None and paid_on is not None and abs((day - paid_on).days) > policy.date_window_days:
            continue
        why = ["payer"] if payer_customer and claim.customer_id == payer_customer else []
        references = [claim.payment_reference, *(claim.invoice_references or [])]
        if any(r and normalize_reference(r) in keys for r in references):
            why.append("reference")
        candidates.append(
            {
                "extraction_id": claim.source_extraction_id,
                "customer_id": claim.customer_id,
                "amount": decimal_str(quantize(claim.amount)),
                "payment_date": paid_on.isoformat() if paid_on else None,
                "corroborated_by": why,
            }
        )
        if why:
            corroborated.append(claim.source_extraction_id)
    return (corroborated[0] if len(corroborated) == 1 else None), candidates


def payer_of(session: Session, credit: BankCredit, matching: MatchingPolicy) -> str | None:
    """The customer the credit's payer name resolves to (None when unknown or ambiguous)."""
    if not credit.payer_name:
        return None
    match = resolve_customer(
        session, customer_id_hint=None, name=credit.payer_name, email_domain=None, address=None, policy=matching
    )
    return match.customer_id if match.resolved else None


def _extraction(credit: BankCredit, items: list[RemittanceItem]) -> Extraction:
    remittance = ExtractedRemittance(
        payer_name=credit.payer_name,
        payment_date=credit.value_date or credit.booking_date,
        payment_reference=credit.end_to_end_id or credit.bank_reference,
        payment_method="bank",
        currency=credit.currency,
        amount=credit.amount,
        items=items,
    )
    return Extraction(
        source=f"bank_credit:{credit.id}",
        document_type=REMITTANCE_ADVICE,
        remittance=remittance,
        confidence={"document_type": 1.0},
        channel="structured",
    )


def _structured_items(credit: BankCredit) -> list[RemittanceItem]:
    references = credit.remittance_references or []
    items = []
    for ref in references:
        amount = Decimal(ref["amount"]) if ref.get("amount") is not None else None
        if amount is None and len(references) == 1:
            amount = credit.amount  # one reference, no amount: it names what the whole credit pays
        items.append(
            RemittanceItem(
                invoice_number=ref["reference"],
                amount_paid=amount,
                discount=Decimal(ref["discount"]) if ref.get("discount") is not None else None,
                invoice_amount=Decimal(ref["invoice_amount"]) if ref.get("invoice_amount") is not None else None,
            )
        )
    return items


def _text_items(session: Session, credit: BankCredit) -> list[RemittanceItem]:
    """Invoice numbers in the free text whose open amounts (one customer's) add up exactly to the credit."""
    tokens = _TOKEN.findall(credit.remittance_info or "")[:60]
    found = [
        inv for inv in invoices_by_reference(session, tokens) if inv.open_amount > 0 and inv.currency == credit.currency
    ]
    if not found or len({inv.customer_id for inv in found}) != 1:
        return []
    if sum((inv.open_amount for inv in found), Decimal("0")) != credit.amount:
        return []
    return [RemittanceItem(invoice_number=inv.invoice_number, amount_paid=inv.open_amount) for inv in found]


def _from_remittance(
    session: Session,
    credit: BankCredit,
    items: list[RemittanceItem],
    rule: str,
    *,
    matching: MatchingPolicy,
    ledger: LedgerPolicy,
) -> BankCreditDecision:
    decision = decide_remittance(
        session, _extraction(credit, items), matching=matching, ledger=ledger, cash_received=True
    )
    original = decision.duplicate_of_payment_id
    if original is not None and session.scalar(select(BankCredit.id).where(BankCredit.payment_id == original)) is None:
        # the advice for this very cash was posted first: the credit confirms it, nothing posts twice
        return BankCreditDecision(LINK, f"{rule}+advice", payment_id=original, customer_id=decision.customer_id)
    if decision.postable:
        return BankCreditDecision(POST, rule, draft=decision.draft, customer_id=decision.customer_id)
    return BankCreditDecision(
        REVIEW, rule, customer_id=decision.customer_id, reasons=decision.reasons, evidence=decision.evidence
    )


def decide_bank_credit(
    session: Session,
    credit: BankCredit,
    *,
    matching: MatchingPolicy,
    ledger: LedgerPolicy,
    policy: BankPolicy,
    now: datetime,
) -> BankCreditDecision:
    """Link to a posted remittance, else apply structured remittance, else invoice numbers in the text that
    settle exactly, else wait for the advice, then amount-only matching; anything unsure goes to review."""
    payer = (
        resolve_customer(
            session, customer_id_hint=None, name=credit.payer_name, email_domain=None, address=None, policy=matching
        )
        if credit.payer_name
        else None
    )
    payer_customer = payer.customer_id if payer is not None and payer.resolved else None
    payment, candidates = find_remittance_payment(session, credit, payer_customer=payer_customer, policy=policy)
    if payment is not None:
        return BankCreditDecision(LINK, "advice.link", payment_id=payment.id, customer_id=payment.customer_id)
    if len([c for c in candidates if c["corroborated_by"]]) > 1:
        return BankCreditDecision(
            REVIEW,
            "advice.link",
            reasons=[AMBIGUOUS],
            evidence=[
                {
                    "reason": AMBIGUOUS,
                    "field": "bank_credit.amount",
                    "read": decimal_str(credit.amount),
                    "rule": "several posted remittances fit this credit",
                    "candidates": candidates,
                }
            ],
        )
    if credit.remittance_references:
        return _from_remittance(
            session, credit, _structured_items(credit), "bank.structured", matching=matching, ledger=ledger
        )
    text_items = _text_items(session, credit)
    if text_items:
        return _from_remittance(session, credit, text_items, "bank.text_reference", matching=matching, ledger=ledger)
    if credit_age_hours(credit, now) < policy.advice_wait_hours:
        return BankCreditDecision(WAIT, None, customer_id=payer_customer)
    return _from_remittance(session, credit, [], "bank.amount_only", matching=matching, ledger=ledger)
