"""Pipeline-level figures on the generated corpus: clean documents posted touchless, and wrong postings.

Each generated document goes through the one door (`o2c.pipeline.door.ingest`) against the generator's master
data (customers, products, customers' part numbers, and the open invoices its advices pay) on a SQLite
database of the worker process, by a trusted advice channel so that advices post as cash. Every generated
document is clean (its true content posts), so a document that goes to review is not touchless, and one that
posts something other than its truth is a wrong posting (the target is 0).

The reading inside the door is the same `extract_document` the benchmark scored: the worker keeps the
extractions it just made and hands them to the pipeline for the same bytes instead of reading them twice.
"""

from __future__ import annotations

import hashlib
import io
import tempfile
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select

from o2c.core.db import unit_of_work
from o2c.core.settings import Settings
from o2c.ledger.masterdata import import_master_data
from o2c.ledger.models import (
    CashApplication,
    CustomerPartNumber,
    Deduction,
    Invoice,
    Order,
    OrderLineRow,
    Payment,
)
from o2c.pipeline import documents as pipeline_documents
from o2c.pipeline.documents import build_context
from o2c.pipeline.door import ingest
from o2c.review.models import ExceptionItem

CHANNEL = "bench-generated"
BUSINESS_DATE = date(2026, 12, 31)
_READ: dict[str, list] = {}  # sha256 of the bytes -> extractions this process already made
_real_extract = pipeline_documents.extract_document


def remember(content: bytes, extractions: list) -> None:
    """Keep what the benchmark just read so the door does not read the same bytes again."""
    _READ[hashlib.sha256(content).hexdigest()] = extractions


def _extract_once(content: bytes, **kwargs):
    known = _READ.pop(hashlib.sha256(content).hexdigest(), None)
    return known if known is not None else _real_extract(content, **kwargs)


@dataclass
class Posting:
    """What became of one document at pipeline level."""

    status: str  # posted | exception | rejected | ... (the door's outcome)
    reasons: tuple[str, ...]
    wrong: str | None  # what differs from the truth when it posted
    fields: tuple[str, ...] = ()  # the fields an exception holds at low confidence (why it was not touchless)


class Ledger:
    """One SQLite database per process, loaded with the generator's master data."""

    def __init__(self, md) -> None:
        root = Path(tempfile.mkdtemp(prefix="o2c-touchless-"))
        settings = Settings(
            data_dir=root,
            database_url=f"sqlite:///{root / 'o2c.db'}",
            storage_dir=root / "blobs",
            business_date=BUSINESS_DATE,
            trusted_advice_channels=CHANNEL,
        )
        self.ctx = build_context(settings, migrate=True)
        self.md = md
        self.by_name = {c.name: c for c in md.customers}
        pipeline_documents.extract_document = _extract_once
        customers = io.StringIO()
        customers.write(
            "customer_id,name,aliases,email_domains,address,credit_limit,currency,payment_terms,trust_advices\n"
        )
        for c in md.customers:
            address = ", ".join(c.address).replace('"', "")
            customers.write(
                f'{c.customer_id},"{c.name}",,{c.domain},"{address}",100000000,{c.currency},{c.terms},yes\n'
            )
        products = "sku,description,uom,unit_price,currency\n" + "".join(
            f'{p.sku},"{p.description}",{p.uom},{p.price},USD\n' for p in md.products
        )
        prices = "customer_id,sku,unit_price,min_quantity,valid_from,valid_to\n" + "".join(
            f"{c.customer_id},{p.sku},{p.price},,,\n" for c in md.customers for p in md.products
        )
        with unit_of_work(self.ctx.session_factory) as session:
            import_master_data(session, "customers", customers.getvalue())
            import_master_data(session, "products", products)
            import_master_data(session, "prices", prices)
            counts = Counter((cid, number) for (cid, _), number in md.part_numbers.items())
            session.add_all(  # a number the generator gave two products of one customer names neither
                CustomerPartNumber(customer_id=cid, part_number=number, sku=sku, provenance="generator")
                for (cid, sku), number in md.part_numbers.items()
                if counts[(cid, number)] == 1
            )

    def _open_invoices(self, truth: dict) -> None:
        """The ERP's open invoices an advice pays: gross open, with terms that allow the discount it took."""
        remit = truth["remittance"]
        cust = self.by_name[remit["payer_name"]]
        paid_on = date.fromisoformat(remit["payment_date"])
        rows = ["invoice_number,customer_id,invoice_date,due_date,amount,open_amount,currency,po_number"]
        for item in remit["items"]:
            gross = Decimal(item["invoice_amount"] or item["amount_paid"])
            issued = paid_on - timedelta(days=5)
            rows.append(
                f"{item['invoice_number']},{cust.customer_id},{issued},{issued + timedelta(days=30)},"
                f"{gross},{gross},{cust.currency},"
            )
        with unit_of_work(self.ctx.session_factory) as session:
            import_master_data(session, "invoices", "\n".join(rows) + "\n")
            for item in remit["items"]:
                if Decimal(item["discount"] or 0):
                    invoice = session.scalar(select(Invoice).where(Invoice.invoice_number == item["invoice_number"]))
                    invoice.payment_terms = "2/10 Net 30"

    def post(self, name: str, content: bytes, truth: dict) -> Posting:
        """Ingest one generated file and compare what it posted with the truth."""
        if truth["document_type"] == "remittance_advice":
            self._open_invoices(truth)
        outcomes = ingest(self.ctx, content=content, filename=name, channel=CHANNEL)
        wanted = [o for o in outcomes if o.get("document_type") == truth["document_type"]] or outcomes
        if not wanted:
            return Posting("none", (), None)
        posted = [o for o in wanted if o.get("status") == "posted"]
        if not posted:
            first = wanted[0]
            return Posting(first.get("status", "?"), tuple(first.get("reasons") or ()), None, self._unsure(first))
        wrong = [w for o in posted if (w := self._compare(o, truth))]
        if len(posted) > 1:
            wrong.append(f"{len(posted)} postings for one document")
        return Posting("posted", (), "; ".join(wrong) or None)

    def _unsure(self, outcome: dict) -> tuple[str, ...]:
        with unit_of_work(self.ctx.session_factory) as session:
            item = session.scalar(
                select(ExceptionItem)
                .where(ExceptionItem.document_id == outcome.get("document_id"))
                .order_by(ExceptionItem.id.desc())
            )
            evidence = item.evidence if item is not None else []
        return tuple(f"{e.get('field')}@{e.get('confidence')}" for e in evidence if e.get("reason") == "low_confidence")

    def _compare(self, outcome: dict, truth: dict) -> str | None:
        with unit_of_work(self.ctx.session_factory) as session:
            if truth["document_type"] == "purchase_order":
                return self._compare_order(session, outcome, truth["order"])
            return self._compare_payment(session, outcome, truth["remittance"])

    def _compare_order(self, session, outcome: dict, order: dict) -> str | None:
        row = session.get(Order, outcome.get("order_id"))
        if row is None:
            return "order not found"
        problems = []
        if row.customer_id != self.by_name[order["buyer_name"]].customer_id:
            problems.append(f"customer {row.customer_id}")
        if row.po_number != order["po_number"]:
            problems.append(f"po {row.po_number!r}")
        net = sum((Decimal(ln["amount"]) for ln in order["lines"]), Decimal(0))
        if row.total not in (Decimal(order["total"]), net):  # the ledger's total is the lines' (tax aside)
            problems.append(f"total {row.total}")
        lines = session.scalars(select(OrderLineRow).where(OrderLineRow.order_id == row.id)).all()
        got = sorted((ln.sku, ln.quantity, ln.unit_price) for ln in lines)
        want = sorted((ln["sku"], Decimal(ln["quantity"]), Decimal(ln["unit_price"])) for ln in order["lines"])
        if got != want:
            problems.append(f"lines {got} != {want}")
        return ", ".join(problems) or None

    def _compare_payment(self, session, outcome: dict, remit: dict) -> str | None:
        payment = session.get(Payment, outcome.get("payment_id"))
        if payment is None:
            return "payment not found"
        problems = []
        if payment.customer_id != self.by_name[remit["payer_name"]].customer_id:
            problems.append(f"customer {payment.customer_id}")
        if payment.amount != Decimal(remit["amount"]):
            problems.append(f"amount {payment.amount}")
        applied = session.execute(
            select(Invoice.invoice_number, CashApplication.amount, CashApplication.discount)
            .join(Invoice, Invoice.id == CashApplication.invoice_id)
            .where(CashApplication.payment_id == payment.id)
        ).all()
        got = sorted((n, a, d) for n, a, d in applied)
        want = sorted(
            (i["invoice_number"], Decimal(i["amount_paid"]), Decimal(i["discount"] or 0)) for i in remit["items"]
        )
        if got != want:
            problems.append(f"applications {got} != {want}")
        deductions = session.scalars(select(Deduction).where(Deduction.payment_id == payment.id)).all()
        if deductions:
            problems.append(f"{len(deductions)} deduction(s) on a clean advice")
        return ", ".join(problems) or None


def summary(rows: list[tuple[str, str, Posting]]) -> dict[str, dict]:
    """Per split: documents, posted touchless, wrong postings, why the rest did not post."""
    out: dict[str, dict] = {}
    for group in sorted({g for g, _, _ in rows}):
        mine = [p for g, _, p in rows if g == group]
        posted = [p for p in mine if p.status == "posted" and not p.wrong]
        reasons = Counter(r for p in mine if p.status != "posted" for r in (p.reasons or (p.status,)))
        out[group] = {
            "docs": len(mine),
            "touchless": len(posted),
            "wrong": sum(1 for p in mine if p.wrong),
            "reasons": dict(reasons.most_common()),
        }
    return out
