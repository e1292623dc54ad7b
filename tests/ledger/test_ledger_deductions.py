"""Settling deductions: write-off, credit memo, re-bill and dispute move the journal and the invoice together."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from o2c.ledger.cash import PaymentDraft, PlannedApplication, post_payment
from o2c.ledger.deductions import PlannedDeduction, list_deductions, resolve_deduction, settle_deduction
from o2c.ledger.errors import DeductionAlreadySettled, DeductionNotFound, InvalidDeductionOutcome, OverApplication
from o2c.ledger.journal import AR, DEDUCTIONS, REVENUE, account_balances
from o2c.ledger.models import Deduction, Invoice, JournalEntry

TODAY = date(2024, 3, 20)
D = Decimal


def _short_pay(session, number: str = "INV-090002", paid: str = "240.00", short: str = "10.00") -> Deduction:
    """A payment of `paid` on the invoice with `short` deducted (kept open on the invoice)."""
    invoice = session.scalar(select(Invoice).where(Invoice.invoice_number == number))
    draft = PaymentDraft(
        "C-1001",
        "Acme",
        TODAY,
        "CHK-1",
        "check",
        "USD",
        D(paid),
        applications=[PlannedApplication(invoice.id, D(paid))],
        deductions=[PlannedDeduction(invoice.id, D(short), "short_payment")],
    )
    post_payment(session, draft, source_extraction_id=None, today=TODAY)
    session.flush()
    return session.scalar(select(Deduction).where(Deduction.invoice_id == invoice.id))


def _open(session, number: str) -> Decimal:
    return session.scalar(
        select(Invoice.open_amount).where(Invoice.invoice_number == number).execution_options(populate_existing=True)
    )


def _open_total(session) -> Decimal:
    return session.scalar(select(func.sum(Invoice.open_amount)).where(Invoice.customer_id == "C-1001"))


@pytest.mark.parametrize(
    "outcome,account,status", [("write_off", DEDUCTIONS, "written_off"), ("credit_memo", REVENUE, "credit_memo")]
)
def test_write_off_and_credit_memo_take_the_amount_out_of_ar(seeded, outcome, account, status):
    deduction = _short_pay(seeded)
    assert _open(seeded, "INV-090002") == D("10.00")
    before = account_balances(seeded, "C-1001")
    settled = settle_deduction(seeded, deduction.id, outcome=outcome, reason_code="pricing", note="agreed", today=TODAY)
    after = account_balances(seeded, "C-1001")
    assert (settled.status, settled.amount, settled.reason_code) == (status, D("10.00"), "pricing")
    assert _open(seeded, "INV-090002") == 0
    assert after[(AR, "USD")] - before[(AR, "USD")] == D("-10.00")
    assert after[(account, "USD")] - before.get((account, "USD"), D(0)) == D("10.00")
    entry = seeded.get(JournalEntry, settled.journal_entry_id)
    assert entry.kind == outcome and "pricing" in entry.memo
    assert list_deductions(seeded) == []  # nothing left open
    assert list_deductions(seeded, status=status)[0]["note"] == "agreed"


def test_rebill_moves_the_amount_to_a_new_invoice_and_ar_is_unchanged(seeded):
    deduction = _short_pay(seeded)
    total, ar = _open_total(seeded), account_balances(seeded, "C-1001")[(AR, "USD")]
    settled = settle_deduction(seeded, deduction.id, outcome="rebill", reason_code="shortage", note=None, today=TODAY)
    rebill = seeded.scalar(select(Invoice).where(Invoice.invoice_number == settled.rebill_invoice_number))
    assert settled.rebill_invoice_number == "RB-000001" and settled.status == "rebilled"
    assert (rebill.customer_id, rebill.amount, rebill.open_amount, rebill.origin) == (
        "C-1001",
        D("10.00"),
        D("10.00"),
        "rebill",
    )
    assert rebill.due_date == date(2024, 4, 19)  # the customer's Net 30 from today
    assert _open(seeded, "INV-090002") == 0 and _open_total(seeded) == total
    assert account_balances(seeded, "C-1001")[(AR, "USD")] == ar


def test_dispute_keeps_it_open_until_settled_once(seeded):
    deduction = _short_pay(seeded)
    disputed = settle_deduction(
        seeded, deduction.id, outcome="dispute", reason_code="damaged", note="photos asked", today=TODAY
    )
    assert (disputed.status, disputed.journal_entry_id) == ("disputed", None)
    assert _open(seeded, "INV-090002") == D("10.00")
    assert [d["status"] for d in list_deductions(seeded)] == ["disputed"]  # still waiting
    settle_deduction(seeded, deduction.id, outcome="write_off", reason_code="damaged", note=None, today=TODAY)
    with pytest.raises(DeductionAlreadySettled):
        settle_deduction(seeded, deduction.id, outcome="credit_memo", reason_code="damaged", note=None, today=TODAY)
    assert _open(seeded, "INV-090002") == 0


def test_refusals_name_their_rule(seeded):
    deduction = _short_pay(seeded)
    with pytest.raises(InvalidDeductionOutcome):
        settle_deduction(seeded, deduction.id, outcome="forgive", reason_code="pricing", note=None, today=TODAY)
    with pytest.raises(InvalidDeductionOutcome):
        settle_deduction(seeded, deduction.id, outcome="write_off", reason_code="because", note=None, today=TODAY)
    with pytest.raises(DeductionNotFound):
        settle_deduction(seeded, 987654, outcome="write_off", reason_code="pricing", note=None, today=TODAY)
    with pytest.raises(DeductionNotFound):  # was an AttributeError on None
        resolve_deduction(seeded, 987654, note="followed up")
    invoice = seeded.get(Invoice, deduction.invoice_id)
    invoice.open_amount = D("4.00")  # the customer paid part of it meanwhile: only 4.00 is left open
    seeded.flush()
    with pytest.raises(OverApplication):
        settle_deduction(seeded, deduction.id, outcome="write_off", reason_code="pricing", note=None, today=TODAY)
    assert seeded.get(Deduction, deduction.id).status == "open"
