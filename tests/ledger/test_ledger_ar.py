"""AR views, invoice documents (PDF, UBL 2.1), pack-unit prices, alias keys from master data, tax rounding."""

from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal
from xml.etree import ElementTree as ET

import facturx
from sqlalchemy import select

from o2c.ledger.aliases import sync_customer_aliases
from o2c.ledger.ar import customer_open_items, dso, open_items_summary, unapplied_cash
from o2c.ledger.cash import PaymentDraft, PlannedApplication, post_payment
from o2c.ledger.deductions import PlannedDeduction
from o2c.ledger.invoice_documents import (
    CBC,
    load_invoice,
    render_facturx_pdf,
    render_facturx_xml,
    render_pdf,
    render_ubl,
)
from o2c.ledger.masterdata import import_master_data
from o2c.ledger.models import Customer, CustomerAlias, Invoice
from o2c.ledger.orders import DraftLine, OrderDraft, post_order, validate_order
from o2c.ledger.policy import LedgerPolicy
from o2c.ledger.views import aging_summary

TODAY = date(2024, 3, 20)


def _order(lines, po="PO-AR-1"):
    total = sum((line.amount for line in lines), Decimal("0"))
    return OrderDraft("C-1001", po, date(2024, 3, 18), "USD", None, None, lines=lines, total=total)


def test_open_items_aging_dso_and_unapplied(seeded):
    inv = seeded.scalar(select(Invoice).where(Invoice.invoice_number == "INV-090002"))
    draft = PaymentDraft(
        "C-1001",
        "Acme",
        TODAY,
        "CHK-1",
        "check",
        "USD",
        Decimal("300.00"),
        applications=[PlannedApplication(inv.id, Decimal("240.00"))],
        deductions=[PlannedDeduction(inv.id, Decimal("10.00"), "short_payment")],
    )
    post_payment(seeded, draft, source_extraction_id=1, today=TODAY)
    items = customer_open_items(seeded, "C-1001")
    assert items["totals"] == {"USD": "1760.00"}  # 1000 + 10 (kept open for the deduction) + 750
    assert items["open_deductions"][0]["reason_code"] == "short_payment"
    summary = {row["customer_id"]: row for row in open_items_summary(seeded)}
    assert summary["C-1001"]["open_invoices"] == 3
    aging = aging_summary(seeded, as_of=TODAY, customer_id="C-1001")["USD"]
    assert (aging["current"], aging["1-30"], aging["31-60"]) == ("1000.00", "760.00", "0.00")
    assert dso(seeded, as_of=TODAY, days=90)["USD"]["dso"] == "68.9"  # open 1760 / invoiced 2300 x 90 days
    cash = unapplied_cash(seeded)
    assert cash["totals"] == {"USD": "60.00"} and cash["payments"][0]["unapplied_amount"] == "60.00"


def test_invoice_pdf_and_ubl(seeded):
    line = DraftLine("BRG-6204", "bearing", Decimal("100"), "EA", Decimal("4.10"), Decimal("410.00"))
    posted = post_order(
        seeded, _order([line]), source_extraction_id=5, policy=LedgerPolicy(tax_rate=Decimal("0.19")), today=TODAY
    )
    view = load_invoice(seeded, posted.invoice_number)
    assert render_pdf(view).startswith(b"%PDF")
    root = ET.fromstring(render_ubl(view))
    assert root.find(f"{{{CBC}}}ID").text == posted.invoice_number
    assert root.find(f"{{{CBC}}}UBLVersionID").text == "2.1"
    payable = root.find(".//{*}LegalMonetaryTotal/{*}PayableAmount")
    assert (payable.text, payable.get("currencyID")) == ("487.90", "USD")  # 410 + 19 % tax
    assert root.find(".//{*}InvoiceLine/{*}InvoicedQuantity").text == "100"
    cii = ET.fromstring(render_facturx_xml(view))
    assert cii.find(".//{*}GrandTotalAmount").text == "487.90"
    embedded = render_facturx_pdf(view)
    assert embedded.startswith(b"%PDF") and facturx.get_facturx_xml_from_pdf(embedded)[0] == "factur-x.xml"


def test_tax_rounding_mode_is_a_setting(seeded):
    line = DraftLine("BRG-6204", "bearing", Decimal("1"), "EA", Decimal("4.50"), Decimal("4.50"))
    policy = LedgerPolicy(tax_rate=Decimal("0.05"), rounding=ROUND_HALF_EVEN)  # 0.225 -> 0.22, not 0.23
    posted = post_order(seeded, _order([line], "PO-R"), source_extraction_id=6, policy=policy, today=TODAY)
    invoice = seeded.scalar(select(Invoice).where(Invoice.invoice_number == posted.invoice_number))
    assert invoice.tax_amount == Decimal("0.22")


def test_pack_unit_prices_compare_per_pack(seeded):
    import_master_data(
        seeded,
        "products",
        "sku,description,uom,unit_price,currency,pack_uom,pack_size\nBLT-M8,Hex bolt M8x40,EA,0.25,USD,CS,12\n",
    )
    case = DraftLine("BLT-M8", "bolts", Decimal("10"), "CS", Decimal("2.40"), Decimal("24.00"))  # 12 x 0.20
    assert validate_order(seeded, _order([case], "PO-CS"), LedgerPolicy(), on_date=TODAY) == []
    wrong = DraftLine("BLT-M8", "bolts", Decimal("10"), "CS", Decimal("0.20"), Decimal("2.00"))
    issues = validate_order(seeded, _order([wrong], "PO-CS2"), LedgerPolicy(), on_date=TODAY)
    assert [i.reason for i in issues] == ["price_mismatch"] and issues[0].evidence["expected"] == "2.40"


def test_master_data_writes_alias_keys_and_retires_shared_ones(seeded):
    keys = dict(seeded.execute(select(CustomerAlias.alias_key, CustomerAlias.customer_id)).all())
    assert keys["acme industrial supply"] == "C-1001" and keys["@boltnut.de"] == "C-1002"
    twin = Customer(customer_id="C-1009", name="Globex Corp", currency="USD")
    seeded.add(twin)
    seeded.flush()
    sync_customer_aliases(seeded, [twin])
    row = seeded.scalar(select(CustomerAlias).where(CustomerAlias.alias_key == "globex"))
    assert not row.active and row.provenance.startswith("ambiguous")
