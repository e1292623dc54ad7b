"""Cash: record payments and apply them to invoices as planned, in set-based SQL so a lockbox file of
thousands of lines posts in seconds; the rules are ledger/applications.py's, re-checked here under row locks."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import bindparam, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from o2c.core.collector import CASH_BATCH, batch_collector
from o2c.core.db import insert_rows, insert_with_ids, is_postgres, membership
from o2c.core.events import Event
from o2c.core.money import decimal_str, quantize
from o2c.ledger.applications import applied_total, apply_cash, check_application, reverse_application
from o2c.ledger.deductions import REASON_CODES, PlannedDeduction, collect_deductions
from o2c.ledger.errors import (
    ConcurrentUpdate,
    DuplicatePayment,
    InsufficientUnappliedBalance,
    InvoiceNotFound,
    OverApplication,
)
from o2c.ledger.journal import AR, CASH, DISCOUNTS, UNAPPLIED, NewEntry, credit, debit, post_new_entries
from o2c.ledger.models import CashApplication, Deduction, Invoice, Payment, RemittanceLine
from o2c.ledger.references import normalize_reference, payment_reference_key

__all__ = [
    "PlannedApplication",
    "RemittanceLineDraft",
    "PaymentDraft",
    "PostedPayment",
    "post_payment",
    "post_payments",
    "apply_cash",
    "reverse_application",
    "applied_total",
    "business_key",
    "find_same_payment",
    "SamePaymentIndex",
    "OpenItem",
    "OPEN_ITEM_COLUMNS",
]
ZERO = Decimal("0")


@dataclass(frozen=True)
class PlannedApplication:
    """Apply `amount` of the payment (plus `discount` taken) to an invoice; `rule` says how it was matched."""

    invoice_id: int
    amount: Decimal
    discount: Decimal = ZERO
    rule: str = "manual"


@dataclass(frozen=True)
class RemittanceLineDraft:
    """One remittance item as read, kept with the payment for the audit trail."""

    invoice_reference: str | None
    amount_paid: Decimal | None
    discount: Decimal | None = None
    invoice_amount: Decimal | None = None


@dataclass
class PaymentDraft:
    """A payment as matching resolved it, with the applications and deductions it plans."""

    customer_id: str | None
    payer_name: str | None
    payment_date: date | None
    payment_reference: str | None
    payment_method: str | None
    currency: str
    amount: Decimal
    applications: list[PlannedApplication] = field(default_factory=list)
    remittance_lines: list[RemittanceLineDraft] = field(default_factory=list)
    deductions: list[PlannedDeduction] = field(default_factory=list)


@dataclass(frozen=True)
class PostedPayment:
    """The posted payment and its applications: [{"invoice_number", "amount", "discount"}], money as strings."""

    payment_id: int
    applications: list[dict]
    unapplied_amount: Decimal = ZERO


def _money(value: Decimal) -> str:
    return decimal_str(quantize(Decimal(value)))


def _result(session: Session, payment: Payment) -> PostedPayment:
    return _results(session, [payment])[payment.id]


def _results(session: Session, payments) -> dict[int, PostedPayment]:
    """What posting these payments (rows with .id and .unapplied_amount) applied, read in chunked IN queries."""
    applied: dict[int, list[dict]] = {p.id: [] for p in payments}
    for clause in membership(session, CashApplication.payment_id, applied):
        rows = session.execute(
            select(CashApplication.payment_id, Invoice.invoice_number, CashApplication.amount, CashApplication.discount)
            .join(Invoice, Invoice.id == CashApplication.invoice_id)
            .where(
                clause,
                CashApplication.reversed_by_id.is_(None),
                CashApplication.rule != "reversal",
            )
            .order_by(CashApplication.id)
        )
        for pid, number, amount, discount in rows:
            applied[pid].append({"invoice_number": number, "amount": _money(amount), "discount": _money(discount)})
    return {p.id: PostedPayment(p.id, applied[p.id], p.unapplied_amount) for p in payments}


def post_payment(
    session: Session, draft: PaymentDraft, *, source_extraction_id: int | None, today: date
) -> PostedPayment:
    """Record the payment (CASH/UNAPPLIED), apply it as planned and open its deductions; one posting per
    source_extraction_id (a second call, or one that lost a race, returns the first posting)."""
    return _post_one(session, draft, source_extraction_id, today)


def post_payments(
    session: Session, drafts: list[tuple[PaymentDraft, int | None]], *, today: date
) -> list[PostedPayment]:
    """Post many payments at once (a lockbox or bank file): every rule checked per application, the invoices
    locked in one query (id order, so concurrent posters never deadlock), the rows written in a few statements.
    A rule broken anywhere raises and the caller's transaction posts none of them."""
    with batch_collector(CASH_BATCH):  # tens of thousands of short-lived rows and entries (core/collector.py)
        return _post_payments(session, drafts, today)


def _post_payments(session: Session, drafts: list[tuple[PaymentDraft, int | None]], today: date) -> list[PostedPayment]:
    posted: dict[int, PostedPayment] = {}
    todo: list[tuple[int, PaymentDraft, int | None]] = []
    done = _posted_by_source(session, {source for _, source in drafts if source is not None})
    if done:
        results = _results(session, list(done.values()))
        for index, (_draft, source) in enumerate(drafts):
            if source in done:
                posted[index] = results[done[source].id]
    todo = [(i, d, s) for i, (d, s) in enumerate(drafts) if i not in posted]
    invoices = _lock_invoices(session, {plan.invoice_id for _, d, _ in todo for plan in d.applications})
    states = [_plan(draft, invoices) for _, draft, _ in todo]
    ids = _insert_payments(session, todo, states)
    if ids is None:  # a concurrent poster took one of the source ids: post one by one, each finds its answer
        return [posted.get(i) or _post_one(session, d, s, today) for i, (d, s) in enumerate(drafts)]
    entries, applications, deductions, lines, events = [], [], [], [], []
    for (index, draft, _source), state, pid in zip(todo, states, ids, strict=True):
        state.id = pid
        lines += [
            {
                "payment_id": pid,
                "line_no": n + 1,
                "invoice_reference": r.invoice_reference,
                "amount_paid": r.amount_paid,
                "discount": r.discount,
                "invoice_amount": r.invoice_amount,
            }
            for n, r in enumerate(draft.remittance_lines)
        ]
        entries.append(
            NewEntry(
                "payment",
                f"payment:{pid}",
                draft.payment_date or today,
                [
                    debit(CASH, draft.amount, draft.currency, draft.customer_id),
                    credit(UNAPPLIED, draft.amount, draft.currency, draft.customer_id),
                ],
                memo=f"payment {draft.payment_reference or pid} from {draft.payer_name or draft.customer_id}",
            )
        )
        applied = []
        for n, plan in enumerate(draft.applications):
            invoice, key = invoices[plan.invoice_id], f"payment:{pid}:{n}"  # new with the payment: no look-up
            applications.append(
                {
                    "payment_id": pid,
                    "invoice_id": invoice.id,
                    "amount": plan.amount,
                    "discount": plan.discount,
                    "rule": plan.rule,
                    "idempotency_key": key,
                }
            )
            entries.append(_application_entry(state, invoice, plan, key, today))
            applied.append(
                {
                    "invoice_number": invoice.invoice_number,
                    "amount": _money(plan.amount),
                    "discount": _money(plan.discount),
                }
            )
        deductions += [
            _deduction_row(pid, invoices, plan, f"deduction:{pid}:{n}") for n, plan in enumerate(draft.deductions)
        ]
        events.append(
            {
                "kind": "payment.posted",
                "subject_type": "payment",
                "subject_id": pid,
                "actor": "system",
                "payload": {
                    "amount": decimal_str(draft.amount),
                    "applications": len(draft.applications),
                    "deductions": len(draft.deductions),
                },
            }
        )
        posted[index] = PostedPayment(pid, applied, state.unapplied_amount)
    _write_invoices(session, invoices)
    post_new_entries(session, entries)
    for model, rows in (
        (RemittanceLine, lines),
        (CashApplication, applications),
        (Deduction, deductions),
        (Event, events),
    ):
        insert_rows(session, model.__table__, rows)  # set-based, not the ORM's per-row bulk bookkeeping
    collect_deductions(session, [a["invoice_id"] for a in applications])
    return [posted[i] for i in range(len(drafts))]


def _posted_by_source(session: Session, sources: set[int]):
    """source_extraction_id -> (id, unapplied_amount) of the payments already posted from these sources."""
    done = {}
    stmt = select(Payment.source_extraction_id, Payment.id, Payment.unapplied_amount)
    for clause in membership(session, Payment.source_extraction_id, sources):
        for row in session.execute(stmt.where(clause)):
            done[row.source_extraction_id] = row
    return done


def _post_one(session: Session, draft: PaymentDraft, source: int | None, today: date) -> PostedPayment:
    try:
        with session.begin_nested():
            return post_payments(session, [(draft, source)], today=today)[0]
    except IntegrityError:
        existing = session.scalar(select(Payment).where(Payment.source_extraction_id == source)) if source else None
        if existing is not None:
            return _result(session, existing)
        key = business_key(draft)
        other = session.scalar(select(Payment.id).where(Payment.business_key == key)) if key else None
        if other is None:
            raise
        raise DuplicatePayment(
            f"payment {draft.payment_reference} of {draft.amount} was posted as payment {other}", payment_id=other
        ) from None


def business_key(draft: PaymentDraft) -> str | None:
    """payer | reference key | amount | date: what makes two arrivals one payment (None without a reference)."""
    reference = payment_reference_key(draft.payment_reference)
    if not reference or not draft.customer_id:
        return None
    return (
        f"{draft.customer_id}|{reference}|{draft.currency}|{decimal_str(quantize(draft.amount))}|"
        f"{draft.payment_date or '-'}"
    )[:255]


def find_same_payment(
    session: Session,
    *,
    customer_id: str,
    currency: str,
    amount: Decimal,
    payment_date: date | None,
    payment_reference: str | None,
    invoice_references: list[str],
    window_days: int,
) -> Payment | None:
    """A payment already posted that this arrival repeats (another channel: email and upload, bank credit and
    its advice): same payer, currency and amount, dated within the window, and the same payment reference or
    an invoice it pays in common. The first posted wins."""
    stmt = select(Payment).where(
        Payment.customer_id == customer_id, Payment.currency == currency, Payment.amount == amount
    )
    if payment_date is not None:
        window = timedelta(days=window_days)
        stmt = stmt.where(
            Payment.payment_date.is_(None) | Payment.payment_date.between(payment_date - window, payment_date + window)
        )
    candidates = list(session.scalars(stmt.order_by(Payment.id)))
    return _first_same(candidates, payment_reference, invoice_references, lambda ids: _paid_references(session, ids))


def _first_same(candidates, payment_reference, invoice_references, paid_references) -> Payment | None:
    """The first candidate (id order) with the same payment reference key or an invoice reference in common."""
    reference = payment_reference_key(payment_reference)
    wanted = {normalize_reference(r) for r in invoice_references if r} - {""}
    for payment in candidates:
        if reference and payment.reference_key == reference:
            return payment
        if wanted and wanted & paid_references([payment.id]).get(payment.id, set()):
            return payment
    return None


def _paid_references(session: Session, payment_ids) -> dict[int, set[str]]:
    """payment id -> reference keys of the invoices it paid (reversals aside) and of its remittance lines."""
    out: dict[int, set[str]] = {i: set() for i in payment_ids}
    paid = select(CashApplication.payment_id, Invoice.reference_key).join(
        Invoice, CashApplication.invoice_id == Invoice.id
    )
    for clause in membership(session, CashApplication.payment_id, out):
        for pid, key in session.execute(paid.where(clause, CashApplication.rule != "reversal")):
            out[pid].add(key)
    lines = select(RemittanceLine.payment_id, RemittanceLine.invoice_reference)
    for clause in membership(session, RemittanceLine.payment_id, out):
        for pid, ref in session.execute(lines.where(clause)):
            out[pid].add(normalize_reference(ref))
    return out


paid_references = _paid_references  # public name, for ledger/reuse.py


class SamePaymentIndex:
    """find_same_payment for a whole batch: the posted payments of the batch's payers at the batch's amounts,
    loaded in chunked IN queries, and what they paid, loaded in bulk only for the few that could be a repeat.
    `find` answers as find_same_payment would (falling back to it for a payer not prefetched)."""

    def __init__(self, session: Session, *, window_days: int) -> None:
        self.session, self.window_days = session, window_days
        self._customers: set[str] = set()
        self._amounts: set[Decimal] = set()
        self._payments: dict[tuple, list[Payment]] = {}
        self._paid: dict[int, set[str]] = {}

    def prefetch(self, customer_ids: set[str], amounts: Collection[Decimal]) -> None:
        """Load the payments of these customers with one of these amounts (once per index: one batch)."""
        if self._customers:
            raise RuntimeError("SamePaymentIndex.prefetch is called once per batch")
        customers, amounts = sorted(set(customer_ids)), sorted(set(amounts))
        for by_customer in membership(self.session, Payment.customer_id, customers):
            for by_amount in membership(self.session, Payment.amount, amounts):
                for payment in self.session.scalars(select(Payment).where(by_customer, by_amount)):
                    self._payments.setdefault((payment.customer_id, payment.currency, payment.amount), []).append(
                        payment
                    )
        for rows in self._payments.values():
            rows.sort(key=lambda p: p.id)
        self._customers, self._amounts = set(customers), set(amounts)
        self._paid.update(
            _paid_references(
                self.session, [p.id for rows in self._payments.values() for p in rows if p.id not in self._paid]
            )
        )

    def find(
        self,
        *,
        customer_id: str,
        currency: str,
        amount: Decimal,
        payment_date: date | None,
        payment_reference: str | None,
        invoice_references: list[str],
    ) -> Payment | None:
        """find_same_payment, from the prefetched payments."""
        if customer_id not in self._customers or amount not in self._amounts:
            return find_same_payment(
                self.session,
                customer_id=customer_id,
                currency=currency,
                amount=amount,
                payment_date=payment_date,
                payment_reference=payment_reference,
                invoice_references=invoice_references,
                window_days=self.window_days,
            )
        candidates = self._payments.get((customer_id, currency, amount), [])
        if payment_date is not None:
            window = timedelta(days=self.window_days)
            low, high = payment_date - window, payment_date + window
            candidates = [p for p in candidates if p.payment_date is None or low <= p.payment_date <= high]
        return _first_same(candidates, payment_reference, invoice_references, lambda ids: self._paid)


def _plan(draft: PaymentDraft, invoices: dict[int, OpenItem]) -> _PaymentState:
    """Check every planned application against the invoices' locked state, and apply it to that state."""
    if draft.amount <= 0:
        raise InsufficientUnappliedBalance("a payment amount must be positive", amount=decimal_str(draft.amount))
    planned = sum((a.amount for a in draft.applications), ZERO)
    if planned > draft.amount:
        raise InsufficientUnappliedBalance(
            f"applications {planned} exceed the payment {draft.amount}",
            planned=decimal_str(planned),
            amount=decimal_str(draft.amount),
        )
    state = _PaymentState(0, draft.customer_id, draft.currency, draft.payment_date, draft.amount)
    for plan in draft.applications:
        invoice = invoices.get(plan.invoice_id)
        if invoice is None:
            raise InvoiceNotFound(f"invoice {plan.invoice_id} not found")
        check_application(state, invoice, plan.amount, plan.discount)
        invoice.open_amount -= plan.amount + plan.discount
        invoice.changed = True
        state.unapplied_amount -= plan.amount
    return state


def _insert_payments(session: Session, todo, states) -> list[int] | None:
    """Insert the payments (ids in order); None when a source_extraction_id was taken meanwhile."""
    if not todo:
        return []
    rows = [
        {
            "customer_id": d.customer_id,
            "payer_name": d.payer_name,
            "payment_date": d.payment_date,
            "payment_reference": d.payment_reference,
            "reference_key": payment_reference_key(d.payment_reference) or None,
            "business_key": business_key(d),
            "payment_method": d.payment_method,
            "currency": d.currency,
            "amount": d.amount,
            "unapplied_amount": state.unapplied_amount,
            "source_extraction_id": source,
        }
        for (_, d, source), state in zip(todo, states, strict=True)
    ]
    try:
        with session.begin_nested():
            return insert_with_ids(session, Payment.__table__, rows)
    except IntegrityError:
        if len(todo) == 1:
            raise  # post_payment's caller (_post_one, or the entry point) sees the race
        return None


@dataclass
class _PaymentState:
    """The payment being posted, as the rules see it."""

    id: int
    customer_id: str | None
    currency: str
    payment_date: date | None
    unapplied_amount: Decimal


@dataclass(slots=True, eq=False)
class OpenItem:
    """An invoice's state as plain values from a Core select: what post_payments reads under the row lock and
    writes back with set-based SQL, and what a batch of remittance decisions reads (tens of thousands of rows:
    ORM objects cost more to build than the query). The attributes are Invoice's, so the rules read either."""

    id: int
    invoice_number: str
    customer_id: str
    currency: str
    amount: Decimal
    open_amount: Decimal
    invoice_date: date
    payment_terms: str | None
    version: int
    reference_key: str | None
    ocr_key: str | None
    po_key: str | None
    changed: bool = False


OPEN_ITEM_COLUMNS = tuple(getattr(Invoice, name) for name in OpenItem.__slots__ if name != "changed")


def _lock_invoices(session: Session, ids: set[int]) -> dict[int, OpenItem]:
    locked: dict[int, OpenItem] = {}
    for clause in membership(session, Invoice.id, ids):
        stmt = select(*OPEN_ITEM_COLUMNS).where(clause).order_by(Invoice.id)  # id order: posters never deadlock
        if is_postgres(session):
            stmt = stmt.with_for_update()
        locked.update((row[0], OpenItem(*row)) for row in session.execute(stmt).tuples())
    return locked


_UPDATE_OPEN_AMOUNTS = text(
    "UPDATE invoices SET open_amount = given.open_amount, version = invoices.version + 1 "
    "FROM unnest(CAST(:ids AS INTEGER[]), CAST(:versions AS INTEGER[]), CAST(:opens AS NUMERIC(19, 4)[])) "
    "AS given(id, version, open_amount) WHERE invoices.id = given.id AND invoices.version = given.version"
)


def _write_invoices(session: Session, invoices: dict[int, OpenItem]) -> None:
    """New open amounts, guarded by the version read under the lock (optimistic check on top of the lock)."""
    updates = {ident: inv for ident, inv in invoices.items() if inv.changed}
    if not updates:
        return
    table = Invoice.__table__
    rows = [(i.id, i.version, i.open_amount) for i in updates.values()]
    if is_postgres(session):  # one UPDATE ... FROM unnest(arrays): no statement per invoice
        ids, versions, opens = (list(column) for column in zip(*rows, strict=True))
        changed = (
            session.connection()
            .execute(_UPDATE_OPEN_AMOUNTS, {"ids": ids, "versions": versions, "opens": opens})
            .rowcount
        )
    else:  # SQLite runs an executemany in-process (and has no FROM (VALUES ...) column names)
        stmt = (
            update(table)
            .where(table.c.id == bindparam("b_id"), table.c.version == bindparam("b_version"))
            .values(open_amount=bindparam("b_open"), version=table.c.version + 1)
        )
        params = [{"b_id": i, "b_version": v, "b_open": o} for i, v, o in rows]
        changed = session.connection().execute(stmt, params).rowcount
    if changed != len(rows):
        raise ConcurrentUpdate("an invoice changed while cash was being applied; retry", invoices=sorted(updates))
    for ident in updates:  # ORM copies of these invoices in this session are now stale
        cached = session.identity_map.get(identity_key(Invoice, ident))
        if cached is not None:
            session.expire(cached)


def _application_entry(payment, invoice, plan: PlannedApplication, key: str, today: date) -> NewEntry:
    cur, cust, amount, discount, rule = invoice.currency, invoice.customer_id, plan.amount, plan.discount, plan.rule
    return NewEntry(
        "cash_application",
        f"cash_application:{key}",
        payment.payment_date or today,
        [
            debit(UNAPPLIED, amount, cur, cust),
            debit(DISCOUNTS, discount, cur, cust),
            credit(AR, amount + discount, cur, cust),
        ],
        memo=f"apply payment {payment.id} to {invoice.invoice_number} ({rule})",
    )


def _deduction_row(payment_id: int, invoices: dict[int, OpenItem], plan: PlannedDeduction, key: str) -> dict:
    invoice = invoices.get(plan.invoice_id)
    if plan.reason_code not in REASON_CODES:
        raise ValueError(f"unknown deduction reason code {plan.reason_code!r}")
    if invoice is None or plan.amount <= 0 or plan.amount > invoice.open_amount:
        raise OverApplication(
            "a deduction must be positive and still open on its invoice", amount=decimal_str(plan.amount)
        )
    return {
        "payment_id": payment_id,
        "invoice_id": invoice.id,
        "customer_id": invoice.customer_id,
        "amount": plan.amount,
        "currency": invoice.currency,
        "reason_code": plan.reason_code,
        "note": plan.note,
        "status": "open",
        "idempotency_key": key,
    }
