"""The journal: one function writes balanced double-entry postings; posted entries are only ever reversed."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import event, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from o2c.core.db import insert_rows, insert_with_ids
from o2c.ledger.errors import AlreadyReversed, ImmutableEntry, UnbalancedEntry
from o2c.ledger.models import JournalEntry, JournalLine

AR, REVENUE, TAX, CASH, DISCOUNTS, UNAPPLIED, DEDUCTIONS = (
    "AR",
    "REVENUE",
    "TAX",
    "CASH",
    "DISCOUNTS",
    "UNAPPLIED",
    "DEDUCTIONS",
)
OPENING = "OPENING_BALANCE"  # the other side of AR handed over by the ERP (imported open invoices)
ACCOUNTS = frozenset({AR, REVENUE, TAX, CASH, DISCOUNTS, UNAPPLIED, DEDUCTIONS, OPENING})
ZERO = Decimal("0")


@dataclass(frozen=True)
class Posting:
    """One line to post: debit or credit (never both) an account in one currency."""

    account: str
    currency: str
    debit: Decimal = ZERO
    credit: Decimal = ZERO
    customer_id: str | None = None


def debit(account: str, amount: Decimal, currency: str, customer_id: str | None = None) -> Posting:
    """A debit posting."""
    return Posting(account, currency, debit=amount, customer_id=customer_id)


def credit(account: str, amount: Decimal, currency: str, customer_id: str | None = None) -> Posting:
    """A credit posting."""
    return Posting(account, currency, credit=amount, customer_id=customer_id)


def check_balanced(lines: Sequence[Posting]) -> None:
    """Raise UnbalancedEntry unless debits equal credits in every currency and every line is well formed."""
    if not lines:
        raise UnbalancedEntry("a journal entry needs at least one line")
    totals: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for line in lines:
        if line.account not in ACCOUNTS:
            raise UnbalancedEntry(f"unknown account {line.account!r}")
        if line.debit < 0 or line.credit < 0 or (line.debit and line.credit):
            raise UnbalancedEntry(f"line on {line.account} must be a non-negative debit or credit, not both")
        totals[line.currency] += line.debit - line.credit
    off = {cur: str(diff) for cur, diff in totals.items() if diff != 0}
    if off:
        raise UnbalancedEntry(f"entry does not balance: {off}", imbalance=off)


def post_entry(
    session: Session,
    kind: str,
    idempotency_key: str,
    entry_date: date,
    lines: Sequence[Posting],
    *,
    memo: str | None = None,
    reverses_id: int | None = None,
    fresh: bool = False,
) -> JournalEntry:
    """Write a balanced entry, or return the entry already posted under idempotency_key (flushes only).

    fresh=True: the caller knows the key is new (it derives from a row created in this transaction), so the
    look-up and the savepoint are skipped and the entry is only added; the unique key still guards it."""
    if not fresh:
        existing = session.scalar(select(JournalEntry).where(JournalEntry.idempotency_key == idempotency_key))
        if existing is not None:
            return existing
    postings = [line for line in lines if line.debit or line.credit]  # zero lines (no tax, no discount) add nothing
    check_balanced(postings)
    entry = JournalEntry(
        kind=kind,
        idempotency_key=idempotency_key,
        entry_date=entry_date,
        memo=memo,
        reverses_id=reverses_id,
        lines=[
            JournalLine(
                account=p.account,
                customer_id=p.customer_id,
                debit=p.debit,
                credit=p.credit,
                currency=p.currency,
            )
            for p in postings
        ],
    )
    if fresh:
        session.add(entry)
        return entry
    try:
        with session.begin_nested():
            session.add(entry)
            session.flush()
    except IntegrityError:
        # a concurrent transaction posted the same key first: that entry is the answer
        found = session.scalar(select(JournalEntry).where(JournalEntry.idempotency_key == idempotency_key))
        if found is None:
            raise
        return found
    return entry


@dataclass(frozen=True)
class NewEntry:
    """An entry for post_new_entries: its key derives from a row created in this transaction (so it is new)."""

    kind: str
    idempotency_key: str
    entry_date: date
    lines: Sequence[Posting]
    memo: str | None = None


def post_new_entries(session: Session, entries: Sequence[NewEntry]) -> dict[str, int]:
    """Write many new balanced entries with two set-based inserts (the cash path at volume); key -> entry id.

    Every entry passes check_balanced first; the unique idempotency key still refuses a duplicate."""
    batch = []
    for entry in entries:
        postings = [line for line in entry.lines if line.debit or line.credit]
        check_balanced(postings)
        batch.append((entry, postings))
    if not batch:
        return {}
    rows = [
        {"kind": e.kind, "idempotency_key": e.idempotency_key, "entry_date": e.entry_date, "memo": e.memo}
        for e, _ in batch
    ]
    ids = {
        e.idempotency_key: ident
        for (e, _), ident in zip(batch, insert_with_ids(session, JournalEntry.__table__, rows), strict=True)
    }
    insert_rows(
        session,
        JournalLine.__table__,
        [
            {
                "entry_id": ids[e.idempotency_key],
                "account": p.account,
                "customer_id": p.customer_id,
                "debit": p.debit,
                "credit": p.credit,
                "currency": p.currency,
            }
            for e, postings in batch
            for p in postings
        ],
    )
    return ids


def reverse_entry(session: Session, entry: JournalEntry, *, entry_date: date, memo: str | None = None) -> JournalEntry:
    """Post the mirror image of an entry (debits become credits); an entry is reversed at most once."""
    key = f"reversal:{entry.idempotency_key}"
    if entry.reverses_id is not None:
        raise AlreadyReversed(f"journal entry {entry.id} is itself a reversal")
    already = session.scalar(select(JournalEntry).where(JournalEntry.reverses_id == entry.id))
    if already is not None and already.idempotency_key != key:
        raise AlreadyReversed(f"journal entry {entry.id} was already reversed by {already.id}")
    mirror = [
        Posting(ln.account, ln.currency, debit=ln.credit, credit=ln.debit, customer_id=ln.customer_id)
        for ln in entry.lines
    ]
    return post_entry(
        session,
        f"{entry.kind}.reversal",
        key,
        entry_date,
        mirror,
        memo=memo or f"reverses entry {entry.id}",
        reverses_id=entry.id,
    )


def account_balances(session: Session, customer_id: str | None = None) -> dict[tuple[str, str], Decimal]:
    """(account, currency) -> debits minus credits, optionally for one customer."""
    stmt = select(JournalLine.account, JournalLine.currency, func.sum(JournalLine.debit - JournalLine.credit))
    if customer_id is not None:
        stmt = stmt.where(JournalLine.customer_id == customer_id)
    rows = session.execute(stmt.group_by(JournalLine.account, JournalLine.currency)).all()
    return {(account, currency): Decimal(total or 0) for account, currency, total in rows}


@event.listens_for(Session, "before_flush")
def _refuse_journal_edits(session: Session, _ctx, _instances) -> None:
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, JournalEntry | JournalLine) and (obj in session.deleted or session.is_modified(obj)):
            raise ImmutableEntry("posted journal entries are immutable; post a reversal instead")
