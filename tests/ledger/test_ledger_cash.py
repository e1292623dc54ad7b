"""Cash application rules: each has its own named error and its own test."""

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from o2c.ledger.cash import PaymentDraft, PlannedApplication, apply_cash, post_payment, reverse_application
from o2c.ledger.check import check_ledger
from o2c.ledger.errors import (
    AlreadyReversed,
    CurrencyMismatch,
    CustomerMismatch,
    DiscountNotAllowed,
    InsufficientUnappliedBalance,
    OverApplication,
)
from o2c.ledger.journal import account_balances
from o2c.ledger.models import CashApplication, Invoice, Payment

TODAY = date(2024, 3, 20)


def inv(session, number):
    return session.scalar(select(Invoice).where(Invoice.invoice_number == number))


def payment(amount, apps=(), customer="C-1001", currency="USD", paid_on=date(2024, 3, 20)):
    return PaymentDraft(
        customer_id=customer,
        payer_name="Acme",
        payment_date=paid_on,
        payment_reference="ACH-1",
        payment_method="ACH",
        currency=currency,
        amount=Decimal(amount),
        applications=list(apps),
    )


def test_exact_application_and_unapplied_remainder(seeded):
    i1 = inv(seeded, "INV-090002")
    posted = post_payment(
        seeded,
        payment("300.00", [PlannedApplication(i1.id, Decimal("250.00"), rule="ref")]),
        source_extraction_id=7,
        today=TODAY,
    )
    assert posted.applications == [{"invoice_number": "INV-090002", "amount": "250.00", "discount": "0.00"}]
    assert posted.unapplied_amount == Decimal("50.00")
    assert inv(seeded, "INV-090002").open_amount == 0
    b = account_balances(seeded)
    assert (b[("CASH", "USD")], b[("AR", "USD")], b[("UNAPPLIED", "USD")]) == (
        Decimal("300.00"),
        Decimal("1750.00"),  # the imported open AR (2,000 of opening entries) less the 250 applied
        Decimal("-50.00"),
    )
    assert check_ledger(seeded) == []
    again = post_payment(seeded, payment("300.00"), source_extraction_id=7, today=TODAY)
    assert again.payment_id == posted.payment_id and len(seeded.scalars(select(Payment)).all()) == 1


def test_discount_earned_within_terms(seeded):
    i1 = inv(seeded, "INV-090001")  # 1000.00 invoiced 2024-03-15, terms 2/10 Net 30
    post_payment(
        seeded,
        payment(
            "980.00",
            [PlannedApplication(i1.id, Decimal("980.00"), Decimal("20.00"))],
            paid_on=date(2024, 3, 25),
        ),
        source_extraction_id=1,
        today=TODAY,
    )
    assert inv(seeded, "INV-090001").open_amount == 0
    assert account_balances(seeded)[("DISCOUNTS", "USD")] == Decimal("20.00")


def test_discount_unearned_when_late_or_too_large(seeded):
    i1 = inv(seeded, "INV-090001")
    late = payment(
        "980.00", [PlannedApplication(i1.id, Decimal("980.00"), Decimal("20.00"))], paid_on=date(2024, 3, 26)
    )
    with pytest.raises(DiscountNotAllowed):
        post_payment(seeded, late, source_extraction_id=1, today=TODAY)
    greedy = payment("970.00", [PlannedApplication(i1.id, Decimal("970.00"), Decimal("30.00"))])
    with pytest.raises(DiscountNotAllowed):
        post_payment(seeded, greedy, source_extraction_id=2, today=TODAY)


def test_over_application_refused(seeded):
    i1 = inv(seeded, "INV-090002")  # 250 open
    with pytest.raises(OverApplication):
        post_payment(
            seeded,
            payment("300.00", [PlannedApplication(i1.id, Decimal("250.01"))]),
            source_extraction_id=1,
            today=TODAY,
        )


def test_insufficient_unapplied_balance(seeded):
    i2, i3 = inv(seeded, "INV-090002"), inv(seeded, "INV-090003")
    with pytest.raises(InsufficientUnappliedBalance):
        post_payment(
            seeded,
            payment(
                "500.00",
                [PlannedApplication(i2.id, Decimal("250.00")), PlannedApplication(i3.id, Decimal("300.00"))],
            ),
            source_extraction_id=1,
            today=TODAY,
        )
    posted = post_payment(seeded, payment("100.00"), source_extraction_id=2, today=TODAY)
    apply_cash(
        seeded,
        payment_id=posted.payment_id,
        invoice_id=i3.id,
        amount=Decimal("60.00"),
        rule="manual",
        idempotency_key="m1",
        today=TODAY,
    )
    with pytest.raises(InsufficientUnappliedBalance):
        apply_cash(
            seeded,
            payment_id=posted.payment_id,
            invoice_id=i3.id,
            amount=Decimal("40.01"),
            rule="manual",
            idempotency_key="m2",
            today=TODAY,
        )


def test_currency_and_customer_mismatch(seeded):
    eur = inv(seeded, "INV-090004")  # C-1002, EUR
    with pytest.raises(CurrencyMismatch):
        post_payment(
            seeded,
            payment("500.00", [PlannedApplication(eur.id, Decimal("500.00"))], customer="C-1002"),
            source_extraction_id=1,
            today=TODAY,
        )
    with pytest.raises(CustomerMismatch):
        post_payment(
            seeded,
            payment("500.00", [PlannedApplication(eur.id, Decimal("500.00"))], currency="EUR"),
            source_extraction_id=2,
            today=TODAY,
        )


def test_reversal_reopens_invoice_and_restores_unapplied(seeded):
    i2 = inv(seeded, "INV-090002")
    posted = post_payment(
        seeded,
        payment("250.00", [PlannedApplication(i2.id, Decimal("250.00"))]),
        source_extraction_id=1,
        today=TODAY,
    )
    app = seeded.scalar(select(CashApplication).where(CashApplication.payment_id == posted.payment_id))
    reverse_application(seeded, app.id, today=TODAY)
    assert inv(seeded, "INV-090002").open_amount == Decimal("250.00")
    assert seeded.get(Payment, posted.payment_id).unapplied_amount == Decimal("250.00")
    with pytest.raises(AlreadyReversed):
        reverse_application(seeded, app.id, today=TODAY)
    b = account_balances(seeded)
    assert (b[("AR", "USD")], b[("UNAPPLIED", "USD")]) == (Decimal("2000.00"), Decimal("-250.00"))
    assert check_ledger(seeded) == []
