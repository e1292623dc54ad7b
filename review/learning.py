"""Learning from resolutions: a reviewer's choice becomes an alias used next time (with provenance, reversible).

Customer for a payer/buyer name -> CustomerAlias; SKU for a customer's part number -> CustomerPartNumber;
invoice for a printed reference -> ReferenceAlias. Every change is an event; retiring one sets active = False."""

from __future__ import annotations

import dataclasses

from sqlalchemy import select
from sqlalchemy.orm import Session

from o2c.core.events import record_event
from o2c.extraction.schema import Extraction
from o2c.ledger.aliases import AMBIGUOUS
from o2c.ledger.models import Customer, CustomerAlias, CustomerPartNumber, Invoice, Product
from o2c.ledger.names import alias_key
from o2c.ledger.references import normalize_reference
from o2c.review.errors import AliasNotFound, UnknownCandidate
from o2c.review.models import ReferenceAlias

ALIAS_KINDS = ("customers", "part-numbers", "references")


def _provenance(reviewer: str, exception_id: int) -> str:
    return f"reviewer {reviewer} on exception {exception_id}"[:256]


def learn_customer_alias(
    session: Session, *, name: str | None, customer_id: str, reviewer: str, exception_id: int
) -> CustomerAlias | None:
    """Remember that documents naming `name` come from `customer_id` (the latest reviewer decision wins)."""
    key = alias_key(name)
    if not key:
        return None
    row = session.scalar(select(CustomerAlias).where(CustomerAlias.alias_key == key))
    if row is not None and not row.active and (row.provenance or "").startswith(AMBIGUOUS):
        return None  # master data retired this key as two customers': a reviewer's choice never revives it
    before = {"customer_id": row.customer_id, "active": row.active} if row else None
    if row is None:
        row = CustomerAlias(customer_id=customer_id, alias=name, alias_key=key)
        session.add(row)
    row.customer_id, row.active = customer_id, True
    row.provenance = _provenance(reviewer, exception_id)
    session.flush()
    record_event(
        session,
        "alias.learned",
        "customer_alias",
        row.id,
        actor=reviewer,
        alias=name,
        customer_id=customer_id,
        before=before,
        exception_id=exception_id,
    )
    return row


def learn_part_number(
    session: Session, *, customer_id: str | None, part_number: str | None, sku: str, reviewer: str, exception_id: int
) -> CustomerPartNumber | None:
    """Remember that this customer's part number means our SKU."""
    if not customer_id or not part_number or part_number.strip() == sku:
        return None
    row = session.scalar(
        select(CustomerPartNumber).where(
            CustomerPartNumber.customer_id == customer_id, CustomerPartNumber.part_number == part_number.strip()
        )
    )
    before = {"sku": row.sku} if row else None
    if row is None:
        row = CustomerPartNumber(customer_id=customer_id, part_number=part_number.strip(), sku=sku)
        session.add(row)
    row.sku, row.provenance = sku, _provenance(reviewer, exception_id)
    session.flush()
    record_event(
        session,
        "alias.learned",
        "customer_part_number",
        row.id,
        actor=reviewer,
        part_number=part_number,
        customer_id=customer_id,
        sku=sku,
        before=before,
        exception_id=exception_id,
    )
    return row


def learn_reference(
    session: Session,
    *,
    customer_id: str | None,
    reference: str | None,
    invoice_number: str,
    reviewer: str,
    exception_id: int,
) -> ReferenceAlias | None:
    """Remember that this customer's printed reference means one of our invoices."""
    key = normalize_reference(reference)
    if not customer_id or not key or key == normalize_reference(invoice_number):
        return None
    row = session.scalar(
        select(ReferenceAlias).where(ReferenceAlias.customer_id == customer_id, ReferenceAlias.reference_key == key)
    )
    if row is None:
        row = ReferenceAlias(
            customer_id=customer_id, reference=reference, reference_key=key, invoice_number=invoice_number
        )
        session.add(row)
    row.invoice_number, row.active = invoice_number, True
    row.provenance = _provenance(reviewer, exception_id)
    session.flush()
    record_event(
        session,
        "alias.learned",
        "reference_alias",
        row.id,
        actor=reviewer,
        reference=reference,
        customer_id=customer_id,
        invoice_number=invoice_number,
        exception_id=exception_id,
    )
    return row


def apply_reference_aliases(session: Session, extraction: Extraction) -> Extraction:
    """The extraction with each printed reference a reviewer tied to one invoice replaced by that invoice number
    (only where the learned reference means one invoice); a note in warnings says so."""
    remittance = extraction.remittance
    keys = {normalize_reference(i.invoice_number) for i in (remittance.items if remittance else []) if i.invoice_number}
    keys.discard("")
    if remittance is None or not keys:
        return extraction
    meaning: dict[str, set[str]] = {}
    for row in session.scalars(
        select(ReferenceAlias).where(ReferenceAlias.reference_key.in_(sorted(keys)), ReferenceAlias.active.is_(True))
    ):
        meaning.setdefault(row.reference_key, set()).add(row.invoice_number)
    items, notes = [], []
    for item in remittance.items:
        learned = meaning.get(normalize_reference(item.invoice_number), set()) if item.invoice_number else set()
        if len(learned) == 1 and next(iter(learned)) != item.invoice_number:
            number = next(iter(learned))
            notes.append(f"reference {item.invoice_number!r} -> {number!r} (learned from a reviewer)")
            item = dataclasses.replace(item, invoice_number=number)
        items.append(item)
    if not notes:
        return extraction
    return dataclasses.replace(
        extraction, remittance=dataclasses.replace(remittance, items=items), warnings=[*extraction.warnings, *notes]
    )


def require_customer(session: Session, customer_id: str) -> Customer:
    """The chosen customer, or UnknownCandidate."""
    found = session.scalar(select(Customer).where(Customer.customer_id == customer_id))
    if found is None:
        raise UnknownCandidate(f"customer {customer_id!r} is not in master data", field="customer_id")
    return found


def require_product(session: Session, sku: str) -> Product:
    """The chosen product, or UnknownCandidate."""
    found = session.scalar(select(Product).where(Product.sku == sku))
    if found is None:
        raise UnknownCandidate(f"SKU {sku!r} is not in master data", field="sku")
    return found


def require_invoice(session: Session, invoice_number: str) -> Invoice:
    """The chosen invoice, or UnknownCandidate."""
    found = session.scalar(select(Invoice).where(Invoice.invoice_number == invoice_number))
    if found is None:
        raise UnknownCandidate(f"invoice {invoice_number!r} does not exist", field="invoice_number")
    return found


def list_aliases(session: Session, kind: str, *, limit: int = 100, offset: int = 0) -> list[dict]:
    """Learned and master-data aliases of one kind, newest first."""
    model = _model(kind)
    rows = session.scalars(select(model).order_by(model.id.desc()).limit(limit).offset(offset))
    return [alias_to_dict(kind, row) for row in rows]


def retire_alias(session: Session, kind: str, alias_id: int, *, actor: str) -> dict:
    """Undo what was learned: aliases are deactivated, a part number (no active flag) is deleted; audited."""
    model = _model(kind)
    row = session.get(model, alias_id)
    if row is None:
        raise AliasNotFound(f"{kind} alias {alias_id} does not exist")
    view = alias_to_dict(kind, row)
    if isinstance(row, CustomerPartNumber):
        session.delete(row)
    else:
        row.active = False
    session.flush()
    record_event(session, "alias.retired", kind.rstrip("s").replace("-", "_"), alias_id, actor=actor, alias=view)
    return {**view, "active": False}


def alias_to_dict(kind: str, row) -> dict:
    """One alias as the API shows it."""
    if kind == "customers":
        return {
            "id": row.id,
            "alias": row.alias,
            "customer_id": row.customer_id,
            "active": row.active,
            "provenance": row.provenance,
        }
    if kind == "part-numbers":
        return {
            "id": row.id,
            "alias": row.part_number,
            "customer_id": row.customer_id,
            "sku": row.sku,
            "active": True,
            "provenance": row.provenance,
        }
    return {
        "id": row.id,
        "alias": row.reference,
        "customer_id": row.customer_id,
        "invoice_number": row.invoice_number,
        "active": row.active,
        "provenance": row.provenance,
    }


def _model(kind: str):
    models = {"customers": CustomerAlias, "part-numbers": CustomerPartNumber, "references": ReferenceAlias}
    if kind not in models:
        raise AliasNotFound(f"unknown alias kind {kind!r}; expected one of {', '.join(ALIAS_KINDS)}")
    return models[kind]
