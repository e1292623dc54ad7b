"""The seeded-problem corpus: clean purchase orders and remittances mixed with documents that carry one known
problem each. Target: 0 wrong postings, every problem caught with the right reason, >= 97% of clean documents
posted without review. Documents are Extraction objects (what the extractor hands matching), so this measures
matching and the ledger's rules, not reading."""

from __future__ import annotations

import os
import random
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from o2c.core.db import Base, make_engine
from o2c.core.events import Event
from o2c.extraction.schema import (
    PURCHASE_ORDER,
    REMITTANCE_ADVICE,
    ExtractedOrder,
    ExtractedRemittance,
    Extraction,
    OrderLine,
    RemittanceItem,
)
from o2c.ledger import models as lm
from o2c.ledger.cash import post_payment
from o2c.ledger.masterdata import import_master_data
from o2c.ledger.orders import post_order
from o2c.ledger.policy import LedgerPolicy
from o2c.ledger.pricing import lookup_price
from o2c.matching.policy import MatchingPolicy
from o2c.matching.remittances import decide_remittance
from o2c.matching.service import decide_order

TODAY = date(2024, 6, 30)
TABLES = [
    m.__table__
    for m in (
        lm.Customer,
        lm.CustomerAlias,
        lm.Product,
        lm.ContractPrice,
        lm.CustomerPartNumber,
        lm.Order,
        lm.OrderLineRow,
        lm.NumberSequence,
        lm.Invoice,
        lm.Payment,
        lm.RemittanceLine,
        lm.CashApplication,
        lm.Deduction,
        lm.JournalEntry,
        lm.JournalLine,
        Event,
    )
]
WORDS = ("Nordic", "Atlas", "Vertex", "Summit", "Harbor", "Pioneer", "Granite", "Cobalt", "Meridian", "Juniper")
FORMS = (("Inc.", "Incorporated"), ("Ltd", "Limited"), ("GmbH", "GmbH"), ("LLC", "L.L.C."), ("Corp.", "Corporation"))
CUSTOMERS, PRODUCTS, TIGHT = 200, 300, 20  # the last TIGHT customers have a credit limit of 50.00
PROBLEMS = {  # seeded problem -> the reason that must be raised
    "unknown_customer": "unknown_customer",
    "unknown_sku": "unknown_product",
    "price_off": "price_mismatch",
    "duplicate_po": "duplicate_order",
    "over_credit": "credit_hold",
    "invoice_not_open": "unmatched_invoice",
    "sum_mismatch": "amount_mismatch",
    "ambiguous_amount": "ambiguous_match",
}


@dataclass
class Doc:
    """A generated document and its truth."""

    extraction: Extraction
    problem: str | None
    customer_id: str
    skus: list[str] = field(default_factory=list)
    invoices: set[int] = field(default_factory=set)


def _name(i: int, variant: int = 0) -> str:
    return f"{WORDS[i % 10]} {WORDS[(i // 10) % 10]} Trading {i:04d} {FORMS[i % 5][variant]}"


def _seed(session: Session, rng: random.Random) -> dict:
    rows = ["customer_id,name,aliases,email_domains,address,credit_limit,currency,payment_terms"]
    for i in range(CUSTOMERS):
        limit = "50.00" if i >= CUSTOMERS - TIGHT else "100000000"
        rows.append(f'K{i:04d},{_name(i)},,k{i:04d}.example,"{i} Dock Rd",{limit},USD,2/10 Net 30')
    import_master_data(session, "customers", "\n".join(rows) + "\n")
    rows = ["sku,description,uom,unit_price,currency,pack_uom,pack_size"]
    for j in range(PRODUCTS):
        pack = ("CS", "12") if j % 5 == 0 else ("", "")
        rows.append(
            f"SKU-{j:05d},Part {j} {WORDS[j % 10]},EA,{Decimal(rng.randint(100, 50_000)) / 100},USD,{pack[0]},{pack[1]}"
        )
    import_master_data(session, "products", "\n".join(rows) + "\n")
    rows = ["customer_id,sku,unit_price,min_quantity,valid_from,valid_to"]
    for i in range(0, 60):
        for j in rng.sample(range(PRODUCTS), 5):
            rows.append(f"K{i:04d},SKU-{j:05d},{Decimal(rng.randint(100, 40_000)) / 100},0,2024-01-01,")
    import_master_data(session, "prices", "\n".join(rows) + "\n")
    parts = [
        {"customer_id": f"K{i:04d}", "part_number": f"CP-{i}-{j}", "sku": f"SKU-{j:05d}", "provenance": "master_data"}
        for i in range(0, CUSTOMERS, 3)
        for j in range(0, PRODUCTS, 7)
    ]
    session.execute(insert(lm.CustomerPartNumber), parts)
    rows = ["invoice_number,customer_id,invoice_date,due_date,amount,open_amount,currency,po_number"]
    for k in range(3000):
        amount = Decimal(rng.randint(5_000, 900_000)) / 100
        open_amount = Decimal("0") if k % 10 == 0 else amount  # every tenth is already paid
        rows.append(f"AR-{k:06d},K{k % (CUSTOMERS - TIGHT):04d},2024-06-01,2024-07-01,{amount},{open_amount},USD,")
    for k in range(50):  # twin open invoices for the ambiguous amount-only payments
        for twin in (0, 1):
            rows.append(f"TW-{k:03d}-{twin},K{k:04d},2024-06-02,2024-07-02,777.{k:02d},777.{k:02d},USD,")
    import_master_data(session, "invoices", "\n".join(rows) + "\n")
    session.flush()
    return {"parts": {(p["customer_id"], p["sku"]): p["part_number"] for p in parts}}


def _order(rng, session, seed, i: int, po: str, problem: str | None) -> Doc:
    cid = f"K{i:04d}"
    mode = rng.randrange(4)
    name = _name(i, rng.randrange(2)) if mode in (0, 1) else None
    hint, sender = (cid if mode == 2 else None), (f"buyer@k{i:04d}.example" if mode == 3 else None)
    if problem == "unknown_customer":
        name, hint, sender = f"Zephyr Unknown Holdings {i} BV", None, "ap@nowhere.example"
    lines, skus = [], []
    for n, j in enumerate(rng.sample(range(PRODUCTS), rng.randint(1, 4))):
        sku, qty = f"SKU-{j:05d}", Decimal(rng.randint(1, 40))
        price = lookup_price(session, customer_id=cid, sku=sku, quantity=qty, on_date=TODAY).unit_price
        read, uom = sku, "EA"
        style = rng.randrange(4)
        if style == 1:
            read = sku.lower().replace("-", " ")
        elif style == 2 and (cid, sku) in seed["parts"]:
            read = seed["parts"][(cid, sku)]
        elif style == 3 and j % 5 == 0:
            uom = "CS"
            price = lookup_price(session, customer_id=cid, sku=sku, quantity=qty * 12, on_date=TODAY).unit_price * 12
        if problem == "price_off" and n == 0:
            price = (price * Decimal(rng.choice(("1.02", "1.05", "0.97", "0.90")))).quantize(Decimal("0.01"))
        if problem == "unknown_sku" and n == 0:
            read = f"ZZ-{rng.randint(10_000, 99_999)}"
        lines.append(OrderLine(read, f"part {j}", qty, uom, price, (qty * price).quantize(Decimal("0.01"))))
        skus.append(sku)
    order = ExtractedOrder(
        po_number=po,
        order_date=TODAY,
        buyer_name=name,
        currency="USD",
        lines=lines,
        total=sum((ln.amount for ln in lines), Decimal("0")),
        customer_id=hint,
    )
    return Doc(
        Extraction(
            source=po, document_type=PURCHASE_ORDER, order=order, sender=sender, confidence={"document_type": 0.99}
        ),
        problem,
        cid,
        skus,
    )


def _remittance(rng, session, k: int, problem: str | None, used: set[int]) -> Doc | None:
    if problem == "ambiguous_amount":
        cid = f"K{k:04d}"
        items, amount, truth = [], Decimal(f"777.{k:02d}"), set()
    else:
        stmt = select(lm.Invoice.id, lm.Invoice.invoice_number, lm.Invoice.open_amount, lm.Invoice.customer_id)
        if problem == "invoice_not_open":  # an invoice already paid in full
            paid = stmt.where(lm.Invoice.open_amount == 0, lm.Invoice.invoice_number.like("AR-%"))
            stmt = paid.order_by(lm.Invoice.id).limit(1).offset(k % 300)
        else:
            stmt = stmt.where(
                lm.Invoice.invoice_number.like("AR-%"),
                lm.Invoice.open_amount > 0,
                lm.Invoice.customer_id == f"K{k % (CUSTOMERS - TIGHT):04d}",
            )
        open_rows = [r for r in session.execute(stmt).all() if r.id not in used]
        if not open_rows:
            return None
        chosen = rng.sample(open_rows, min(len(open_rows), rng.randint(1, 3) if problem is None else 1))
        cid, truth = chosen[0].customer_id, {r.id for r in chosen}
        used.update(truth)  # each clean remittance pays invoices no other one pays
        ref = (lambda n: n) if rng.random() < 0.5 else (lambda n: "Inv. " + n.replace("AR-", "AR "))
        items = [RemittanceItem(ref(r.invoice_number), r.open_amount or Decimal("100.00")) for r in chosen]
        amount = sum((i.amount_paid for i in items), Decimal("0"))
        if problem == "sum_mismatch":
            amount += Decimal("10.00")
    idx = int(cid[1:])
    rem = ExtractedRemittance(
        payer_name=_name(idx), payment_date=TODAY, payment_reference=f"P{k}", currency="USD", amount=amount, items=items
    )
    return Doc(
        Extraction(
            source=f"rem-{problem}-{k}",
            document_type=REMITTANCE_ADVICE,
            remittance=rem,
            confidence={"document_type": 0.99},
        ),
        problem,
        cid,
        invoices=truth,
    )


def _corpus(rng, session, seed) -> list[Doc]:
    docs, clean_orders, used = [], [], set()
    for n in range(1000):
        doc = _order(rng, session, seed, rng.randrange(CUSTOMERS - TIGHT), f"PO-{n:05d}", None)
        docs.append(doc)
        clean_orders.append(doc)
    for n in range(40):
        for problem in ("unknown_customer", "unknown_sku", "price_off"):
            docs.append(_order(rng, session, seed, rng.randrange(CUSTOMERS - TIGHT), f"PX-{problem}-{n}", problem))
        docs.append(_order(rng, session, seed, CUSTOMERS - TIGHT + n % TIGHT, f"PC-{n}", "over_credit"))
    for k in range(400):
        doc = _remittance(rng, session, k, None, used)
        if doc:
            docs.append(doc)
    for k in range(40):
        for problem in ("invoice_not_open", "sum_mismatch", "ambiguous_amount"):
            doc = _remittance(rng, session, 500 + k if problem != "ambiguous_amount" else k, problem, used)
            if doc:
                docs.append(doc)
    rng.shuffle(docs)
    for n, original in enumerate(rng.sample(clean_orders, 40)):  # same PO again, other bytes: after the original
        dup = Extraction.from_contract(original.extraction.to_contract())
        if n % 2:  # half with a changed quantity (a real conflict), half identical (a harmless re-send)
            dup.order.lines[0].quantity += 1
        docs.append(Doc(dup, "duplicate_po", original.customer_id, original.skus))
    return docs


def _process(session: Session, docs: list[Doc]) -> dict:
    stats = {"clean": Counter(), "problems": Counter(), "caught": Counter(), "wrong": 0, "misses": []}
    matching, ledger = MatchingPolicy(), LedgerPolicy(price_tolerance_pct=Decimal("1"))
    for source, doc in enumerate(docs, start=1):
        if doc.extraction.document_type == PURCHASE_ORDER:
            decision = decide_order(session, doc.extraction, matching=matching, ledger=ledger, today=TODAY)
            posted = decision.postable
            if posted:
                post_order(session, decision.draft, source_extraction_id=source, policy=ledger, today=TODAY)
                right = decision.customer_id == doc.customer_id and [ln.sku for ln in decision.draft.lines] == doc.skus
        else:
            decision = decide_remittance(session, doc.extraction, matching=matching, ledger=ledger)
            posted = decision.postable
            if posted:
                post_payment(session, decision.draft, source_extraction_id=source, today=TODAY)
                right = {a.invoice_id for a in decision.draft.applications} == doc.invoices
        kind = doc.extraction.document_type
        if doc.problem is None:
            stats["clean"][kind] += 1
            stats["clean"][f"{kind}.posted"] += posted
            stats["wrong"] += posted and not right
            if not posted:
                stats["misses"].append((doc.extraction.source, decision.reasons))
        else:
            stats["problems"][doc.problem] += 1
            stats["wrong"] += posted
            stats["caught"][doc.problem] += (not posted) and PROBLEMS[doc.problem] in decision.reasons
    return stats


def run_corpus(seed: int = 11) -> bool:
    """Generate, decide and post the corpus; print the table; True when every target is met."""
    url = os.environ.get("O2C_BENCH_DATABASE_URL") or f"sqlite:///{tempfile.mkdtemp(prefix='o2c-corpus-')}/c.db"
    engine = make_engine(url)
    Base.metadata.drop_all(engine, tables=TABLES)
    Base.metadata.create_all(engine, tables=TABLES)
    rng = random.Random(seed)
    with Session(engine) as session:
        docs = _corpus(rng, session, _seed(session, rng))
        stats = _process(session, docs)
        session.commit()
    engine.dispose()
    clean = sum(v for k, v in stats["clean"].items() if "." not in k)
    posted = sum(v for k, v in stats["clean"].items() if k.endswith(".posted"))
    print(f"seeded-problem corpus: {len(docs)} documents ({clean} clean)")
    print(
        f"  clean posted without review: {posted}/{clean} = {posted / clean:.1%} (orders "
        f"{stats['clean']['purchase_order.posted']}/{stats['clean']['purchase_order']}, remittances "
        f"{stats['clean']['remittance_advice.posted']}/{stats['clean']['remittance_advice']})"
    )
    all_caught = True
    for problem, reason in PROBLEMS.items():
        n, caught = stats["problems"][problem], stats["caught"][problem]
        all_caught &= n > 0 and caught == n
        print(f"  {problem:<18} -> {reason:<18} caught {caught}/{n}")
    print(f"  wrong postings: {stats['wrong']}")
    for source, reasons in stats["misses"][:5]:
        print(f"    clean doc sent to review: {source} {reasons}")
    return stats["wrong"] == 0 and all_caught and posted / clean >= 0.97
