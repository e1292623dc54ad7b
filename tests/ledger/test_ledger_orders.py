"""Posting orders: validation, gap-free invoice numbers, duplicate POs, credit hold, idempotency."""

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import event as sql_event
from sqlalchemy import select, update

from o2c.core.events import record_event
from o2c.ledger import lookups, orders
from o2c.ledger.check import check_ledger
from o2c.ledger.errors import DuplicateOrder, OrderNotPostable
from o2c.ledger.journal import account_balances
from o2c.ledger.models import ContractPrice, Customer, Invoice, Order
from o2c.ledger.orders import DraftLine, OrderDraft, post_order, validate_order
from o2c.ledger.policy import LedgerPolicy

TODAY = date(2024, 3, 20)
POLICY = LedgerPolicy()


def draft(po="PO-1", customer="C-1001", qty="100", price="4.10", sku="BRG-6204", currency="USD", **kw):
    q, p = Decimal(qty), Decimal(price)
    line = DraftLine(sku, "bearing", q, "EA", p, (q * p).quantize(Decimal("0.01")))
    return OrderDraft(
        customer_id=customer,
        po_number=po,
        order_date=date(2024, 3, 18),
        currency=currency,
        ship_to="Dock 4",
        requested_delivery_date=None,
        lines=[line],
        total=line.amount,
        **kw,
    )


def reasons(issues):
    return [i.reason for i in issues]


def test_valid_order_posts_with_invoice_and_journal(seeded):
    posted = post_order(seeded, draft(), source_extraction_id=11, policy=POLICY, today=TODAY)
    assert posted.invoice_number == "INV-000001"
    order = seeded.get(Order, posted.order_id)
    # (the lines are inserted in one statement; the same session's order still reads them)
    assert [(ln.line_no, ln.sku, ln.quantity, ln.amount) for ln in order.lines] == [
        (1, "BRG-6204", Decimal("100"), Decimal("410.00"))
    ]
    assert order.price_variances == [
        {
            "line": 0,
            "sku": "BRG-6204",
            "expected": "4.10",
            "found": "4.10",
            "difference": "0.00",
            "rule": order.price_variances[0]["rule"],
        }
    ]
    assert "min_qty 100" in order.price_variances[0]["rule"]
    invoice = seeded.scalar(select(Invoice).where(Invoice.order_id == order.id))
    assert (invoice.amount, invoice.open_amount, invoice.invoice_date, invoice.due_date) == (
        Decimal("410.00"),
        Decimal("410.00"),
        TODAY,
        date(2024, 4, 19),
    )
    balances = account_balances(seeded)
    # 2,000 of imported open AR (opening entries) plus the 410 invoiced
    assert balances[("AR", "USD")] == Decimal("2410.00") and balances[("REVENUE", "USD")] == Decimal("-410.00")
    assert check_ledger(seeded) == []
    # idempotent by source extraction
    assert post_order(seeded, draft(), source_extraction_id=11, policy=POLICY, today=TODAY) == posted


def test_invoice_numbers_are_gap_free_across_rollbacks(seeded):
    first = post_order(seeded, draft("PO-1"), source_extraction_id=1, policy=POLICY, today=TODAY)
    nested = seeded.begin_nested()
    post_order(seeded, draft("PO-2"), source_extraction_id=2, policy=POLICY, today=TODAY)
    nested.rollback()  # the posting transaction fails: its number must be given back
    third = post_order(seeded, draft("PO-3"), source_extraction_id=3, policy=POLICY, today=TODAY)
    assert (first.invoice_number, third.invoice_number) == ("INV-000001", "INV-000002")


def test_tax_and_rounding_from_policy(seeded):
    policy = LedgerPolicy(tax_rate=Decimal("0.0725"))
    posted = post_order(seeded, draft(qty="3", price="4.50"), source_extraction_id=5, policy=policy, today=TODAY)
    invoice = seeded.scalar(select(Invoice).where(Invoice.invoice_number == posted.invoice_number))
    assert (invoice.tax_amount, invoice.amount) == (
        Decimal("0.98"),
        Decimal("14.48"),
    )  # 13.50 * 7.25 % = 0.97875


def test_duplicate_po_is_refused(seeded):
    post_order(seeded, draft(), source_extraction_id=1, policy=POLICY, today=TODAY)
    assert reasons(validate_order(seeded, draft(), POLICY)) == ["duplicate_order"]
    with pytest.raises(DuplicateOrder):
        post_order(seeded, draft(), source_extraction_id=2, policy=POLICY, today=TODAY)


def test_duplicate_po_caught_by_the_constraint_when_validation_races(seeded, monkeypatch):
    post_order(seeded, draft(), source_extraction_id=1, policy=POLICY, today=TODAY)
    monkeypatch.setattr(orders, "validate_order", lambda *a, **k: [])  # as if a concurrent post was not yet visible
    with pytest.raises(DuplicateOrder):
        post_order(seeded, draft(), source_extraction_id=2, policy=POLICY, today=TODAY)
    assert len(seeded.scalars(select(Order)).all()) == 1  # the session is still usable after the savepoint


def test_credit_hold(seeded):
    # C-1003: limit 1500, open AR 0 (its only invoice is paid)
    ok = draft(customer="C-1003", qty="100", price="5.00")
    assert validate_order(seeded, ok, POLICY) == []
    over = draft(customer="C-1003", qty="301", price="5.00")
    issues = validate_order(seeded, over, POLICY)
    assert reasons(issues) == ["credit_hold"]
    assert issues[0].evidence["expected"] == "1500.00"
    with pytest.raises(OrderNotPostable):
        post_order(seeded, over, source_extraction_id=9, policy=POLICY, today=TODAY)
    post_order(seeded, ok, source_extraction_id=10, policy=POLICY, today=TODAY)  # AR now 500
    assert reasons(validate_order(seeded, draft("PO-2", customer="C-1003", qty="201", price="5.00"), POLICY)) == [
        "credit_hold"
    ]


def test_price_currency_hold_and_unknowns(seeded):
    issues = validate_order(seeded, draft(price="4.50"), POLICY)  # 100+ tier is 4.10
    assert reasons(issues) == ["price_mismatch"]
    assert issues[0].evidence == {
        "field": "order.lines[0].unit_price",
        "read": "4.50",
        "expected": "4.10",
        "difference": "0.40",
        "line_difference": "40.00",
        "rule": issues[0].evidence["rule"],
    }
    assert reasons(validate_order(seeded, draft(price="4.11"), POLICY)) == []  # within 0.01
    assert reasons(validate_order(seeded, draft(currency="EUR"), POLICY)) == ["currency_mismatch"]
    assert reasons(validate_order(seeded, draft(sku="NOPE"), POLICY)) == ["unknown_product"]
    assert reasons(validate_order(seeded, draft(customer="C-404"), POLICY)) == ["unknown_customer"]
    seeded.scalar(select(Customer).where(Customer.customer_id == "C-1001")).on_hold = True
    assert reasons(validate_order(seeded, draft(), POLICY)) == ["customer_on_hold"]


def test_total_and_line_amount_mismatch(seeded):
    d = draft()
    d.total = Decimal("999.00")
    assert reasons(validate_order(seeded, d, POLICY)) == ["amount_mismatch"]
    bad_line = DraftLine("BRG-6204", "x", Decimal("100"), "EA", Decimal("4.10"), Decimal("420.00"))
    d2 = OrderDraft("C-1001", "PO-9", date(2024, 3, 18), "USD", None, None, [bad_line], Decimal("420.00"))
    assert reasons(validate_order(seeded, d2, POLICY)) == ["amount_mismatch"]


def test_validation_sees_a_contract_price_written_in_its_own_transaction(seeded):
    # deciding reads master data once per transaction (ledger/lookups.py): a write in that transaction is seen
    assert validate_order(seeded, draft(), POLICY, on_date=TODAY) == []
    renewed = ContractPrice(
        customer_id="C-1001",
        sku="BRG-6204",
        unit_price=Decimal("3.00"),
        min_quantity=Decimal("100"),
        valid_from=date(2024, 3, 1),
    )
    seeded.add(renewed)  # pending, not flushed: the renewed tier starts latest, so it is the price now
    issues = validate_order(seeded, draft(), POLICY, on_date=TODAY)
    assert reasons(issues) == ["price_mismatch"] and issues[0].evidence["expected"] == "3.00"
    seeded.flush()
    renewed.unit_price = Decimal("4.10")  # changed again, in place
    seeded.flush()
    assert validate_order(seeded, draft(), POLICY, on_date=TODAY) == []


def test_master_data_read_in_a_rolled_back_savepoint_is_read_again(seeded):
    # a released savepoint keeps the transaction's memo (ledger/lookups.py); one rolled back forgets it
    before = lookups.customer(seeded, "C-1001")
    with seeded.begin_nested():
        record_event(seeded, "test.nothing", "customer", before.id)
        seeded.flush()  # (a flush with work runs in a subtransaction of its own)
    assert lookups._MEMO in seeded.info and lookups.customer(seeded, "C-1001") is before
    savepoint = seeded.begin_nested()
    seeded.get(Customer, before.id).credit_limit = Decimal("1")
    seeded.flush()
    assert lookups.customer(seeded, "C-1001").credit_limit == Decimal("1")
    savepoint.rollback()
    assert lookups._MEMO not in seeded.info
    assert lookups.customer(seeded, "C-1001").credit_limit != Decimal("1")


def test_validating_the_same_draft_again_reads_again_only_after_a_write(seeded):
    # deciding validates and posting validates again: on SQLite (the transaction holds the write lock) the second
    # answer is the first one unless something was written in between, however it was written
    statements = []
    sql_event.listen(seeded.get_bind(), "before_cursor_execute", lambda *a: statements.append(a[2]))
    assert validate_order(seeded, draft(), POLICY, on_date=TODAY) == []
    statements.clear()
    assert validate_order(seeded, draft(), POLICY, on_date=TODAY) == []
    if seeded.get_bind().dialect.name == "sqlite":
        assert statements == []
    seeded.connection().execute(  # Core, not the ORM: open AR now leaves no room under the credit limit
        update(Invoice)
        .where(Invoice.invoice_number == "INV-090001")
        .values(amount=Decimal("49900"), open_amount=Decimal("49900"))
    )
    assert reasons(validate_order(seeded, draft(), POLICY, on_date=TODAY)) == ["credit_hold"]
    (other,) = validate_order(seeded, draft(qty="1", price="4.50"), POLICY, on_date=TODAY)  # another draft
    assert other.reason == "credit_hold" and other.evidence["read"] == "4.50"
