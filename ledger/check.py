"""The ledger check: every invariant the books must satisfy, one function per rule, violations returned as data
(beancount's validation style). `check_ledger` runs them all; `o2c ledger check` and `GET /ledger/check` print
them, and every test that moves money ends with it.

Rules, per currency:
    journal_balanced         every journal entry's debits equal its credits
    ar_control               the AR account's balance equals the sum of the invoices' open amounts
    invoice_open_amount      an invoice's open amount = amount - settled elsewhere (ERP, before import)
                             - o2c's applications - discounts - credits
    payment_within_amount    no payment is applied beyond its amount; unapplied = amount - applied
    deduction_within_open    the open deductions on an invoice never exceed what is open on it"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from o2c.core.db import is_postgres
from o2c.core.money import decimal_str
from o2c.ledger.journal import AR
from o2c.ledger.models import CashApplication, Deduction, Invoice, JournalLine, Payment

ZERO = Decimal("0")
JOURNAL_BALANCED, AR_CONTROL, INVOICE_OPEN_AMOUNT = "journal_balanced", "ar_control", "invoice_open_amount"
PAYMENT_WITHIN_AMOUNT, DEDUCTION_WITHIN_OPEN = "payment_within_amount", "deduction_within_open"


@dataclass(frozen=True)
class Violation:
    """A broken rule, the rows that break it (plain JSON values) and the currency it is broken in."""

    rule: str
    rows: list[dict] = field(default_factory=list)
    currency: str | None = None

    def to_dict(self) -> dict:
        """The violation as JSON: {"rule", "currency", "rows"}."""
        return {"rule": self.rule, "currency": self.currency, "rows": self.rows}


def _dec(value) -> Decimal:
    """Exact to the column's 4 places (SQLite hands back sums of NUMERIC as floats: 3999.9999999999995)."""
    return Decimal(str(value or 0)).quantize(Decimal("0.0001"))


def _exact(session: Session, stmt, condition):
    """PostgreSQL filters in SQL (exact NUMERIC); SQLite's float arithmetic is re-checked in Python instead."""
    return stmt.where(condition) if is_postgres(session) else stmt


def _having(session: Session, stmt, condition):
    return stmt.having(condition) if is_postgres(session) else stmt


def _money(value) -> str:
    return decimal_str(
        _dec(value).quantize(Decimal("0.01")) if _dec(value) == _dec(value).quantize(Decimal("0.01")) else _dec(value)
    )


def _live_applications():
    """Applications that count: not reversed, and not themselves reversal rows."""
    return (CashApplication.reversed_by_id.is_(None)) & (CashApplication.rule != "reversal")


def check_journal_balanced(session: Session) -> list[Violation]:
    """Every journal entry balances in each currency (post_entry refuses otherwise; this proves the table)."""
    diff = func.sum(JournalLine.debit - JournalLine.credit)
    stmt = select(JournalLine.entry_id, JournalLine.currency, diff).group_by(JournalLine.entry_id, JournalLine.currency)
    rows = session.execute(_having(session, stmt, diff != 0).order_by(JournalLine.currency, JournalLine.entry_id)).all()
    by_currency: dict[str, list[dict]] = {}
    for entry_id, currency, diff in rows:
        if _dec(diff) == 0:
            continue
        by_currency.setdefault(currency, []).append({"entry_id": entry_id, "imbalance": _money(diff)})
    return [Violation(JOURNAL_BALANCED, found, currency) for currency, found in sorted(by_currency.items())]


def check_ar_control(session: Session) -> list[Violation]:
    """The AR control account (journal) equals the sum of open items, in every currency."""
    journal = dict(
        session.execute(
            select(JournalLine.currency, func.sum(JournalLine.debit - JournalLine.credit))
            .where(JournalLine.account == AR)
            .group_by(JournalLine.currency)
        )
        .tuples()
        .all()
    )
    items = dict(
        session.execute(select(Invoice.currency, func.sum(Invoice.open_amount)).group_by(Invoice.currency))
        .tuples()
        .all()
    )
    violations = []
    for currency in sorted(set(journal) | set(items)):
        ar, open_items = _dec(journal.get(currency)), _dec(items.get(currency))
        if ar != open_items:
            violations.append(
                Violation(
                    AR_CONTROL,
                    [
                        {
                            "account": AR,
                            "journal_balance": _money(ar),
                            "open_items": _money(open_items),
                            "difference": _money(ar - open_items),
                        }
                    ],
                    currency,
                )
            )
    return violations


def check_invoice_open_amounts(session: Session) -> list[Violation]:
    """open_amount = amount - settled_elsewhere - applications - discounts - credits, per invoice."""
    applied = (
        select(
            CashApplication.invoice_id,
            func.sum(CashApplication.amount).label("cash"),
            func.sum(CashApplication.discount).label("discount"),
        )
        .where(_live_applications())
        .group_by(CashApplication.invoice_id)
        .subquery()
    )
    stmt = select(
        Invoice.invoice_number,
        Invoice.currency,
        Invoice.amount,
        Invoice.settled_elsewhere,
        Invoice.open_amount,
        applied.c.cash,
        applied.c.discount,
    ).outerjoin(applied, applied.c.invoice_id == Invoice.id)
    stmt = _exact(
        session,
        stmt,
        Invoice.open_amount
        != Invoice.amount
        - func.coalesce(Invoice.settled_elsewhere, 0)
        - func.coalesce(applied.c.cash, 0)
        - func.coalesce(applied.c.discount, 0),
    )
    rows = session.execute(stmt.order_by(Invoice.currency, Invoice.invoice_number)).all()
    by_currency: dict[str, list[dict]] = {}
    for number, currency, amount, elsewhere, open_amount, cash, discount in rows:
        expected = _dec(amount) - _dec(elsewhere) - _dec(cash) - _dec(discount)
        if expected == _dec(open_amount):
            continue
        by_currency.setdefault(currency, []).append(
            {
                "invoice_number": number,
                "amount": _money(amount),
                "settled_elsewhere": _money(elsewhere),
                "applied": _money(cash),
                "discounts": _money(discount),
                "open_amount": _money(open_amount),
                "expected_open_amount": _money(expected),
            }
        )
    return [Violation(INVOICE_OPEN_AMOUNT, found, currency) for currency, found in sorted(by_currency.items())]


def check_payments_within_amount(session: Session) -> list[Violation]:
    """No payment applied beyond its amount, and its unapplied amount is what is left of it."""
    applied = (
        select(CashApplication.payment_id, func.sum(CashApplication.amount).label("cash"))
        .where(_live_applications())
        .group_by(CashApplication.payment_id)
        .subquery()
    )
    used = func.coalesce(applied.c.cash, 0)
    stmt = select(Payment.id, Payment.currency, Payment.amount, Payment.unapplied_amount, used).outerjoin(
        applied, applied.c.payment_id == Payment.id
    )
    stmt = _exact(session, stmt, (used > Payment.amount) | (Payment.unapplied_amount != Payment.amount - used))
    rows = session.execute(stmt.order_by(Payment.currency, Payment.id)).all()
    by_currency: dict[str, list[dict]] = {}
    for payment_id, currency, amount, unapplied, cash in rows:
        if _dec(cash) <= _dec(amount) and _dec(unapplied) == _dec(amount) - _dec(cash):
            continue
        by_currency.setdefault(currency, []).append(
            {
                "payment_id": payment_id,
                "amount": _money(amount),
                "applied": _money(cash),
                "unapplied_amount": _money(unapplied),
                "expected_unapplied": _money(_dec(amount) - _dec(cash)),
            }
        )
    return [Violation(PAYMENT_WITHIN_AMOUNT, found, currency) for currency, found in sorted(by_currency.items())]


def check_deductions_within_open(session: Session) -> list[Violation]:
    """The open deductions on an invoice add up to no more than its open amount."""
    total = func.sum(case((Deduction.status == "open", Deduction.amount), else_=0))
    stmt = (
        select(Invoice.invoice_number, Invoice.currency, Invoice.open_amount, total)
        .join(Deduction, Deduction.invoice_id == Invoice.id)
        .group_by(Invoice.id, Invoice.invoice_number, Invoice.currency, Invoice.open_amount)
    )
    rows = session.execute(
        _having(session, stmt, total > Invoice.open_amount).order_by(Invoice.currency, Invoice.invoice_number)
    ).all()
    by_currency: dict[str, list[dict]] = {}
    for number, currency, open_amount, deducted in rows:
        if _dec(deducted) <= _dec(open_amount):
            continue
        by_currency.setdefault(currency, []).append(
            {"invoice_number": number, "open_amount": _money(open_amount), "open_deductions": _money(deducted)}
        )
    return [Violation(DEDUCTION_WITHIN_OPEN, found, currency) for currency, found in sorted(by_currency.items())]


RULES: tuple[Callable[[Session], list[Violation]], ...] = (
    check_journal_balanced,
    check_ar_control,
    check_invoice_open_amounts,
    check_payments_within_amount,
    check_deductions_within_open,
)


def check_ledger(session: Session) -> list[Violation]:
    """Every rule of the ledger; an empty list means the books reconcile. Reads only."""
    session.flush()
    return [violation for rule in RULES for violation in rule(session)]


__all__ = [
    "Violation",
    "check_ledger",
    "RULES",
    "check_journal_balanced",
    "check_ar_control",
    "check_invoice_open_amounts",
    "check_payments_within_amount",
    "check_deductions_within_open",
]
