"""A payment reference used again for an invoice it already paid: the same cash, or a corrected advice.

A check number or an end-to-end id names one payment. When a payer's posted payment already carries the
reference an arrival prints, and paid an invoice the arrival also names, the arrival is that payment again —
re-sent after the duplicate window, or corrected ("4,000.10" for "4,000.00") — or a misread. Either way it is
not new cash: a person looks. (find_same_payment answers the exact repeat; this one holds at any amount and
any date, because it needs both the reference and an invoice in common.)"""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import select
from sqlalchemy.orm import Session

from o2c.core.db import membership
from o2c.ledger.cash import paid_references
from o2c.ledger.models import Payment
from o2c.ledger.references import normalize_reference, payment_reference_key


def find_reference_reuse(
    session: Session, *, customer_id: str, payment_reference: str | None, invoice_references: Collection[str]
) -> Payment | None:
    """The first posted payment (id order) of this payer with this payment reference that paid, or listed on
    its remittance, one of these invoices; None when the reference or the invoices are missing."""
    return ReferenceReuseIndex(session).find(
        customer_id=customer_id, payment_reference=payment_reference, invoice_references=invoice_references
    )


class ReferenceReuseIndex:
    """find_reference_reuse for a batch: the payments carrying the batch's references, loaded once in chunked IN
    queries on the indexed reference key, with what they paid."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._loaded: set[str] = set()
        self._by_key: dict[tuple[str, str], list[Payment]] = {}
        self._paid: dict[int, set[str]] = {}

    def prefetch(self, payment_references: Collection[str | None]) -> None:
        """Load every posted payment whose reference key is one of these (and what it paid)."""
        keys = sorted({payment_reference_key(r) for r in payment_references} - {""} - self._loaded)
        found: list[Payment] = []
        for clause in membership(self.session, Payment.reference_key, keys):
            found.extend(self.session.scalars(select(Payment).where(clause)))
        for payment in sorted(found, key=lambda p: p.id):
            self._by_key.setdefault((payment.customer_id or "", payment.reference_key or ""), []).append(payment)
        self._paid.update(paid_references(self.session, [p.id for p in found]))
        self._loaded |= set(keys)

    def find(
        self, *, customer_id: str, payment_reference: str | None, invoice_references: Collection[str]
    ) -> Payment | None:
        """find_reference_reuse, from what was prefetched (loading this reference first if it was not)."""
        key = payment_reference_key(payment_reference)
        wanted = {normalize_reference(r) for r in invoice_references if r} - {""}
        if not key or not wanted:
            return None
        if key not in self._loaded:
            self.prefetch([payment_reference])
        for payment in self._by_key.get((customer_id, key), []):
            if wanted & self._paid.get(payment.id, set()):
                return payment
        return None
