"""Property test: any sequence of invoices, payments, applications and reversals keeps the invariants."""

from datetime import date
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from o2c.core.errors import O2CError
from o2c.ledger.cash import (
    PaymentDraft,
    PlannedApplication,
    apply_cash,
    post_payment,
    post_payments,
    reverse_application,
)
from o2c.ledger.check import check_ledger
from o2c.ledger.deductions import PlannedDeduction
from o2c.ledger.journal import account_balances
from o2c.ledger.masterdata import import_master_data
from o2c.ledger.models import CashApplication, Deduction, Invoice, JournalLine, Payment

TODAY = date(2024, 3, 20)
CUSTOMERS = (
    "customer_id,name,aliases,email_domains,address,credit_limit,currency,payment_terms\n"
    "C1,One,,,,,USD,2/10 Net 30\nC2,Two,,,,,EUR,Net 30\n"
)

cents = st.integers(1, 50_000).map(lambda c: Decimal(c) / 100)
step = st.one_of(
    st.tuples(st.just("invoice"), st.sampled_from(["C1", "C2"]), cents),
    st.tuples(st.just("payment"), st.sampled_from(["C1", "C2"]), cents),
    st.tuples(st.just("apply"), st.integers(0, 20), st.integers(0, 20), cents, st.integers(0, 3)),
    st.tuples(st.just("reverse"), st.integers(0, 40)),
    # the ERP re-imports an invoice's open AR: its own view (stale or changed), never overwriting o2c's cash
    st.tuples(st.just("reimport"), st.integers(0, 20), cents),
    # the same payment again by another channel (another source id): posts once, the second is refused
    st.tuples(st.just("duplicate"), st.integers(0, 20)),
    # a lockbox batch: several payments, each with applications and short-pay deductions, posted all or none
    st.tuples(
        st.just("batch"),
        st.lists(
            st.tuples(
                st.sampled_from(["C1", "C2"]),
                cents,
                st.lists(
                    st.tuples(st.integers(0, 20), cents, st.integers(0, 500).map(lambda c: Decimal(c) / 100)),
                    max_size=3,
                ),
            ),
            min_size=1,
            max_size=3,
        ),
    ),
)


def run_step(session, s, n):
    kind = s[0]
    if kind == "invoice":
        currency = "USD" if s[1] == "C1" else "EUR"
        import_master_data(
            session,
            "invoices",
            "invoice_number,customer_id,invoice_date,due_date,amount,"
            f"open_amount,currency,po_number\nI-{n},{s[1]},2024-03-15,,{s[2]},{s[2]},{currency},\n",
        )
    elif kind == "payment":
        post_payment(
            session,
            PaymentDraft(s[1], None, TODAY, f"REF-{n % 3}", None, "USD" if s[1] == "C1" else "EUR", s[2]),
            source_extraction_id=n,
            today=TODAY,
        )
    elif kind == "apply":
        invoices = session.scalars(select(Invoice).order_by(Invoice.id)).all()
        payments = session.scalars(select(Payment).order_by(Payment.id)).all()
        if invoices and payments:
            invoice, payment = invoices[s[1] % len(invoices)], payments[s[2] % len(payments)]
            discount = (invoice.amount * Decimal("0.02")).quantize(Decimal("0.01")) if s[4] == 0 else Decimal("0")
            apply_cash(
                session,
                payment_id=payment.id,
                invoice_id=invoice.id,
                amount=s[3],
                discount=discount,
                rule="test",
                idempotency_key=f"k{n}",
                today=TODAY,
            )
    elif kind == "reimport":
        invoices = session.scalars(select(Invoice).order_by(Invoice.id)).all()
        if invoices:
            invoice = invoices[s[1] % len(invoices)]
            erp_open = min(s[2], invoice.amount)
            import_master_data(
                session,
                "invoices",
                "invoice_number,customer_id,invoice_date,due_date,amount,"
                f"open_amount,currency,po_number\n{invoice.invoice_number},{invoice.customer_id},"
                f"2024-03-15,,{invoice.amount},{erp_open},{invoice.currency},\n",
            )
    elif kind == "duplicate":
        payments = session.scalars(
            select(Payment).where(Payment.payment_reference.is_not(None)).order_by(Payment.id)
        ).all()
        if payments:
            p = payments[s[1] % len(payments)]
            post_payment(
                session,
                PaymentDraft(p.customer_id, None, p.payment_date, p.payment_reference, None, p.currency, p.amount),
                source_extraction_id=n,
                today=TODAY,
            )
    elif kind == "batch":
        invoices = session.scalars(select(Invoice).order_by(Invoice.id)).all()
        if not invoices:
            return
        drafts = []
        for k, (customer, amount, plans) in enumerate(s[1]):
            chosen = [(invoices[i % len(invoices)], paid, short) for i, paid, short in plans]
            drafts.append(
                (
                    PaymentDraft(
                        customer,
                        None,
                        TODAY,
                        None,
                        None,
                        "USD" if customer == "C1" else "EUR",
                        amount,
                        applications=[PlannedApplication(inv.id, paid, rule="batch") for inv, paid, _ in chosen],
                        deductions=[
                            PlannedDeduction(inv.id, short, "short_payment") for inv, _, short in chosen if short
                        ],
                    ),
                    10_000 * (n + 1) + k,
                )
            )
        post_payments(session, drafts, today=TODAY)
    else:
        apps = session.scalars(select(CashApplication).order_by(CashApplication.id)).all()
        if apps:
            reverse_application(session, apps[s[1] % len(apps)].id, today=TODAY)


def check_invariants(session):
    for invoice in session.scalars(select(Invoice)):
        applied = session.scalar(
            select(func.coalesce(func.sum(CashApplication.amount + CashApplication.discount), 0)).where(
                CashApplication.invoice_id == invoice.id,
                CashApplication.reversed_by_id.is_(None),
                CashApplication.rule != "reversal",
            )
        )
        assert 0 <= invoice.open_amount <= invoice.amount
        # never over-applied, nothing lost (the ERP's own settlements before o2c saw it count too)
        assert invoice.open_amount == invoice.amount - invoice.settled_elsewhere - applied
    for payment in session.scalars(select(Payment)):
        applied = session.scalar(
            select(func.coalesce(func.sum(CashApplication.amount), 0)).where(
                CashApplication.payment_id == payment.id,
                CashApplication.reversed_by_id.is_(None),
                CashApplication.rule != "reversal",
            )
        )
        assert 0 <= payment.unapplied_amount == payment.amount - applied
    for currency in ("USD", "EUR"):
        total = session.scalar(
            select(func.coalesce(func.sum(JournalLine.debit - JournalLine.credit), 0)).where(
                JournalLine.currency == currency
            )
        )
        assert total == 0
    for deduction in session.scalars(select(Deduction)):
        assert deduction.amount > 0  # a deduction is a follow-up record, never a write-off: AR is untouched
        assert session.get(Payment, deduction.payment_id) is not None
    balances = account_balances(session)
    cash = sum(p.amount for p in session.scalars(select(Payment)))
    assert sum(v for (acct, _), v in balances.items() if acct == "CASH") == cash
    assert [v.to_dict() for v in check_ledger(session)] == []  # what `o2c ledger check` proves


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(step, min_size=1, max_size=25))
def test_random_postings_keep_invariants(open_session, steps):
    with open_session() as session:
        import_master_data(session, "customers", CUSTOMERS)
        for n, s in enumerate(steps):
            try:
                with session.begin_nested():
                    run_step(session, s, n)
            except O2CError:
                pass  # a refused posting must leave no trace: the invariants below prove it
            check_invariants(session)
