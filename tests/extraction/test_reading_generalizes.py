"""Issue 9: reading that does not depend on one layout — the lexicon, content-based cells, grounding, HTML
bodies read from the DOM, CSV remittance headers and confidence that is not circular."""

from __future__ import annotations

from decimal import Decimal

from o2c.extraction.grounding import Grounding
from o2c.extraction.htmlbody import html_to_layout_text
from o2c.extraction.layout import compact
from o2c.extraction.lexicon import LANGUAGES, SECTIONS, _load, conflicts, labels
from o2c.extraction.service import extract_document
from tests.extraction.conftest import draw_pdf

D = Decimal
GROUND = Grounding(
    skus=frozenset({"MM4-4010", "PK-70359", "BRG-6204", "BLT-M8"}),
    customer_part_numbers=frozenset({"ACME-77"}),
    customer_names=frozenset({"Keller Dental Labs GmbH", "Acme Industrial Supply Inc."}),
)


def test_lexicon_is_one_file_with_six_languages_and_no_label_naming_two_fields():
    for section in SECTIONS:
        assert conflicts(section) == [], section
        for name, synonyms in labels(section).items():
            assert synonyms, (section, name)
    po = labels("order")["po_number"]
    assert {"PO Number", "Bestellnummer", "N° de commande", "Bestelnummer", "Número de pedido", "N. ordine"} <= set(po)
    raw = _load()
    for section in SECTIONS:
        langs = {lang for by_lang in raw[section].values() for lang in by_lang}
        assert set(LANGUAGES) <= langs, section
    assert compact("Qté :") == "qté"


def _po(rows: list[str], header: str, *, extra: list[tuple[float, float, str]] = ()) -> bytes:
    items = [
        (50, 50, "Keller Dental Labs GmbH"),
        (400, 50, "PURCHASE ORDER"),
        (50, 64, "Hauptstr. 5, 80331 Munich"),
        (400, 80, "PO Number: 7781"),
        (400, 94, "Date: 2026-03-12"),
        *extra,
    ]
    y = 150
    items.append((50, y, header))
    for row in rows:
        y += 16
        items.append((50, y, row))
    return draw_pdf([items], font="Courier", size=9)


def test_line_number_glued_to_sku_and_sku_glued_to_description_are_separated():
    header = "Ln  Item                           Qty      Price        Amount"
    rows = [
        "1   PK-70359 Spring clip           10       4.10         41.00",
        "2   MM4-4010 Micro-Motor           2        120.00       240.00",
    ]
    (e,) = extract_document(
        _po(rows, header, extra=[(50, 200, "Subtotal 281.00"), (50, 216, "Vendor: Northwind Supply, Portland")]),
        filename="po.pdf",
        grounding=GROUND,
    )
    lines = e.order.lines
    assert [(ln.sku, ln.quantity, ln.unit_price, ln.amount) for ln in lines] == [
        ("PK-70359", D("10"), D("4.10"), D("41.00")),
        ("MM4-4010", D("2"), D("120.00"), D("240.00")),
    ]
    assert lines[1].description == "Micro-Motor"  # the vendor line below the items is not read into it
    assert e.confidence["order.lines[0].sku"] >= 0.97  # a known code, and the row's arithmetic agrees


def test_unknown_header_words_rows_found_by_arithmetic_and_unknown_sku_not_confident():
    header = "Posizione  Codice prodotto  Bezeichnung        Stk    Cena      Razem"
    rows = [
        "1          BRG-6204         Ball bearing       100    4.10      410.00",
        "2          ZZ-9999          Mystery part       5      2.00      10.00",
    ]
    (e,) = extract_document(_po(rows, header, extra=[(50, 200, "Total 420.00")]), filename="po.pdf", grounding=GROUND)
    got = [(ln.sku, ln.quantity, ln.unit_price, ln.amount) for ln in e.order.lines]
    assert got == [("BRG-6204", D("100"), D("4.10"), D("410.00")), ("ZZ-9999", D("5"), D("2.00"), D("10.00"))]
    assert e.confidence["order.lines[0].sku"] >= 0.97
    # not in master data: the sums agree, but arithmetic does not vouch for a code's letters (base 0.9 stays)
    assert e.confidence["order.lines[1].sku"] <= 0.9 < e.confidence["order.lines[1].amount"]


def test_unit_price_found_by_arithmetic_when_its_column_is_not_read():
    header = "SKU        Description      Qty    Einh.Pr/Stk   Amount"
    rows = ["BRG-6204   Ball bearing     100    4.10          410.00"]
    (e,) = extract_document(_po(rows, header), filename="po.pdf", grounding=GROUND)
    (line,) = e.order.lines
    assert (line.sku, line.quantity, line.unit_price, line.amount) == ("BRG-6204", D("100"), D("4.10"), D("410.00"))


def test_buyer_is_the_known_company_not_signature_initials():
    header = "SKU        Description      Qty    Unit Price    Amount"
    rows = ["BRG-6204   Ball bearing     100    4.10          410.00"]
    pdf = draw_pdf(
        [
            [
                (50, 40, "MM"),
                (400, 50, "PURCHASE ORDER"),
                (400, 80, "PO Number: 7781"),
                (50, 100, "Bill To: Keller Dental Labs GmbH"),
                (50, 150, header),
                (50, 166, rows[0]),
            ]
        ],
        font="Courier",
        size=9,
    )
    (e,) = extract_document(pdf, filename="po.pdf", grounding=GROUND)
    assert e.order.buyer_name == "Keller Dental Labs GmbH"


HTML = """<html><body><table width="100%"><tr><td>
<p>Hello,</p><p>Please supply against <b>PO 4500012345</b>:</p>
<table border="1"><tr><th>Line</th><th>Item No.</th><th>Description</th><th>Qty</th><th>UOM</th>
<th>Unit Price</th><th>Amount</th></tr>
<tr><td>1</td><td>BRG-6204</td><td>Ball bearing</td><td>100</td><td>EA</td><td>$4.10</td><td>$410.00</td></tr>
<tr><td>2</td><td>BLT-M8</td><td>Hex bolt<br>M8 x 40</td><td>50</td><td>EA</td><td>$0.20</td><td>$10.00</td></tr>
<tr><td colspan="6">Total</td><td>$420.00</td></tr></table>
<div class="gmail_signature">Thanks,<br>Dana<br>Acme Industrial Supply Inc.</div></td></tr></table></body></html>"""


def test_html_body_tables_stay_tables():
    text = html_to_layout_text(HTML)
    assert "Hex bolt M8 x 40" in text and "<" not in text
    eml = (
        "From: Dana <dana@acme.example>\r\nTo: orders@northwind.example\r\nSubject: PO 4500012345\r\n"
        "Date: Mon, 16 Mar 2026 09:12:00 -0400\r\nMIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n"
        "\r\n" + HTML
    ).encode()
    (e,) = extract_document(eml, filename="po.eml", grounding=GROUND)
    assert e.document_type == "purchase_order" and e.channel == "email"
    assert e.order.po_number == "4500012345" and e.order.total == D("420.00")
    assert [(ln.sku, ln.description, ln.quantity, ln.uom, ln.unit_price, ln.amount) for ln in e.order.lines] == [
        ("BRG-6204", "Ball bearing", D("100"), "EA", D("4.10"), D("410.00")),
        ("BLT-M8", "Hex bolt M8 x 40", D("50"), "EA", D("0.20"), D("10.00")),
    ]
    assert e.order.buyer_name == "Acme Industrial Supply Inc."
    assert e.provenance["order.lines[0].sku"]["part"] == "body"


def test_csv_remittance_pay_date_and_check_eft_columns():
    csv = (
        b"Payer,Pay Date,Check/EFT #,Invoice #,Invoice Date,Gross,Discount,Net Paid\n"
        b"Acme Industrial Supply Inc.,03/22/2024,EFT-778812,INV-090001,03/15/2024,1000.00,20.00,980.00\n"
        b"Acme Industrial Supply Inc.,03/22/2024,EFT-778812,INV-090002,03/16/2024,250.00,0.00,250.00\n"
    )
    (e,) = extract_document(csv, filename="remit.csv", media_type="text/csv")
    r = e.remittance
    assert (str(r.payment_date), r.payment_reference, r.amount) == ("2024-03-22", "EFT-778812", D("1230.00"))
    assert [(i.invoice_number, i.discount, i.amount_paid) for i in r.items] == [
        ("INV-090001", D("20.00"), D("980.00")),
        ("INV-090002", D("0.00"), D("250.00")),
    ]


def test_prose_order_amount_computed_from_qty_and_price_does_not_confirm_them():
    body = (
        "Hi team,\n\nPlease ship PO 45821:\n\n  10 x BRG-6204 at 4.10\n  50 x BLT-M8 at 0.20\n\n"
        "Thanks,\nDana\nPurchasing, Acme Industrial Supply Inc.\n"
    )
    eml = (
        "From: Dana <dana@acme.example>\r\nSubject: PO 45821\r\nDate: Mon, 16 Mar 2026 09:12:00 -0400\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\n" + body
    ).encode()
    (e,) = extract_document(eml, filename="po.eml")
    assert [ln.amount for ln in e.order.lines] == [D("41.00"), D("10.00")]
    for i in range(2):
        assert e.confidence[f"order.lines[{i}].quantity"] < 0.9
        assert e.confidence[f"order.lines[{i}].unit_price"] < 0.9


def test_a_sum_that_agrees_vouches_for_nothing_when_a_row_contradicts_its_discount():
    """A never-seen scan read 9,159.52 as 52 for the item and for the payment: the sum agreed and raised both to
    0.99. The row's own invoice amount and discount say otherwise, so the amount stays low."""
    advice = (
        "REMITTANCE ADVICE\n\nPayment date: 2026-03-17\nPayment reference: ACH-555\nPayment amount: USD {paid}\n\n"
        "Invoice      Invoice Amount   Discount   Amount Paid\n"
        "INV-10001          9,346.45     186.93       {paid}\n\nTotal paid: {paid}\n"
    )
    (misread,) = extract_document(advice.format(paid="52.00").encode(), filename="ra.txt")
    assert misread.remittance.amount == Decimal("52.00") and misread.confidence["remittance.amount"] < 0.9
    (right,) = extract_document(advice.format(paid="9,159.52").encode(), filename="ra.txt")
    assert right.remittance.amount == Decimal("9159.52") and right.confidence["remittance.amount"] >= 0.9


def test_a_quantity_cell_left_of_its_short_header_is_not_description():
    """Never-seen family: 'Q.tà' right-aligned over cells like '50 EA' printed further left; the quantity was found
    by arithmetic and '50 EA' stayed in the description at high confidence."""
    x = {"sku": 50, "desc": 150, "qty": 330, "price": 380, "amount": 470}
    rows = [
        ("BRG-6204", "Ball bearing", "100 EA", "4.10", "410.00"),
        ("BLT-B55", "V-belt B55", "4 EA", "9.80", "39.20"),
    ]
    items = [(50, 40, "PURCHASE ORDER"), (50, 70, "PO Number: PO-7781"), (50, 90, "Bill To: Keller Dental Labs GmbH")]
    items += [(x["sku"], 150, "Code"), (x["desc"], 150, "Description"), (x["qty"] + 12, 150, "Q.ty")]
    items += [(x["price"], 150, "Price"), (x["amount"], 150, "Amount")]
    for n, (sku, desc, qty, price, amount) in enumerate(rows):
        y = 170 + 16 * n
        items += [(x["sku"], y, sku), (x["desc"], y, desc), (x["qty"] - 25, y, qty), (x["price"], y, price)]
        items.append((x["amount"], y, amount))
    items.append((380, 220, "Total: 449.20"))
    (e,) = extract_document(draw_pdf([items], size=9), filename="po.pdf")
    assert [(ln.description, ln.quantity, ln.uom) for ln in e.order.lines] == [
        ("Ball bearing", D("100"), "EA"),
        ("V-belt B55", D("4"), "EA"),
    ]
