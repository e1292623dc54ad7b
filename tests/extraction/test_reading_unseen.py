"""Issue 9, never-seen layouts: a customer's part number beside our SKU, squeezed headers whose cells run
together, a tax rate under a price header, labels without colons, ambiguous dates, HTML replies and CSV
remittances that print the payment once."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from reportlab.pdfbase.pdfmetrics import stringWidth

from o2c.extraction.grounding import Grounding
from o2c.extraction.layout import group_lines
from o2c.extraction.normalize import GUESSED_DATE
from o2c.extraction.orders import LINE_COLUMNS
from o2c.extraction.pages import Page, Word
from o2c.extraction.service import extract_document
from o2c.extraction.tables import find_header
from tests.extraction.conftest import draw_pdf
from tests.extraction.test_dates_and_bodies import _mail
from tests.extraction.test_reading_generalizes import _po as po_pdf

D = Decimal
GROUND = Grounding(
    skus=frozenset({"BRG-6204", "PK-70359", "ZW-054-B"}),
    customer_part_numbers=frozenset({"2033-80260", "2033-02944", "2015-61938"}),
    customer_names=frozenset({"Keller Dental Labs GmbH"}),
)


def _po(rows: list[tuple[float, str]], header: str, *, total: str) -> bytes:
    """A Courier PO with rows at the given heights (a wrapped line sits closer than a row) and a total below."""
    below = (50, max(y for y, _ in rows) + 32, total)
    return po_pdf([], header, extra=[*((50, y, text) for y, text in rows), below])


def test_our_sku_not_the_customers_part_number_beside_it_and_wrapped_descriptions_follow_the_row():
    header = "Su codigo   Nuestro     Bezeichnung          Stk    Cena      Razem"
    rows = [
        (166, "2033-80260  BRG-6204    Ball bearing         100    4.10      410.00"),
        (176, "                        sealed 12V"),
        (192, "2033-02944  PK-70359    Spring clip          10     2.50      25.00"),
    ]
    (e,) = extract_document(_po(rows, header, total="Total 435.00"), filename="po.pdf", grounding=GROUND)
    got = [(ln.sku, ln.description, ln.quantity, ln.amount) for ln in e.order.lines]
    assert got == [
        ("BRG-6204", "Ball bearing sealed 12V", D("100"), D("410.00")),
        ("PK-70359", "Spring clip", D("10"), D("25.00")),
    ]
    assert e.confidence["order.lines[0].sku"] >= 0.97


def test_a_customers_part_number_where_our_sku_is_unreadable_stays_under_the_posting_threshold():
    """Our SKU misread ('PK-7O3S9' is no known code): the part number beside it is master data's, but the SKU it
    stands for is not on the page, so it is not taken at 0.9 (matching confirms it by the line's price)."""
    header = "Su codigo   Nuestro     Bezeichnung          Stk    Cena      Razem"
    rows = [
        (166, "2033-80260  BRG-6204    Ball bearing         100    4.10      410.00"),
        (192, "2033-02944  PK-7O3S9X   Spring clip          10     2.50      25.00"),
    ]
    (e,) = extract_document(_po(rows, header, total="Total 435.00"), filename="po.pdf", grounding=GROUND)
    assert e.confidence["order.lines[0].sku"] >= 0.97
    assert e.order.lines[1].sku == "2033-02944"
    assert e.confidence["order.lines[1].sku"] < 0.9


def test_description_printed_before_the_code_in_a_row_read_by_arithmetic():
    header = "Pos  Bezeichnung       Codice     Su ref      Stk    Cena       Razem"
    rows = [(166, "1    Sealed pulley     ZW-054-B   2015-61938  25     1,837.96   45,949.00")]
    (e,) = extract_document(_po(rows, header, total="Total 45,949.00"), filename="po.pdf", grounding=GROUND)
    (line,) = e.order.lines
    assert (line.sku, line.description, line.quantity) == ("ZW-054-B", "Sealed pulley", D("25"))


def test_a_customers_part_number_in_the_description_cell_is_set_aside():
    header = "Description      Buyer Part No.  Our Item    Qty   Unit Price   Amount"
    rows = [(166, "Ball bearing M8  2015-61938      BRG-6204    10    4.10         41.00")]
    (e,) = extract_document(_po(rows, header, total="Total 41.00"), filename="po.pdf", grounding=GROUND)
    (line,) = e.order.lines
    assert (line.sku, line.description) == ("BRG-6204", "Ball bearing M8")


def _line(text: str, *, width: float = 5.4) -> list:
    """One laid-out line from text, each character `width` points wide (a monospace page)."""
    words, x = [], 40.0
    for token in text.split(" "):
        if token:
            words.append(Word(token, x, 100, x + width * len(token), 109))
        x += width * (len(token) + 1)
    return group_lines(Page(1, 612, 792, words))


def test_header_cells_printed_without_a_gap_are_cut_at_the_label_they_end_in():
    (line,) = _line("REF. CLIENTEREFERENCIA  DESCRIPCIÓN        CANT.PRECIO UNITARIO IMPORTE")
    names = [c.name for c in find_header(line, LINE_COLUMNS)]
    assert names == ["sku", "_ignored", "description", "quantity", "unit_price", "amount"]
    (line,) = _line("Line Description     Product Code Buyer Part No.Quantity Unit Price Total")
    assert "quantity" in {c.name for c in find_header(line, LINE_COLUMNS)}


def test_squeezed_header_reads_the_unit_printed_under_the_price_label():
    header = "REF. CLIENTEREFERENCIA DESCRIPCIÓN        CANT.PRECIO UNITARIO IMPORTE"
    rows = [(166, "2033-80260 BRG-6204   Ball bearing          4 PC      332,20  1.328,80")]
    (e,) = extract_document(_po(rows, header, total="Total 1.328,80"), filename="po.pdf", grounding=GROUND)
    (line,) = e.order.lines
    assert (line.sku, line.quantity, line.uom, line.unit_price) == ("BRG-6204", D("4"), "PC", D("332.20"))


def _dated_po(order_date: str, delivery: str) -> bytes:
    return draw_pdf(
        [
            [
                (50, 50, "Keller Dental Labs Ltd."),
                (400, 50, "PURCHASE ORDER"),
                (400, 80, "PO Number: 7781"),
                (400, 94, f"Date: {order_date}"),
                (400, 108, f"Delivery Date: {delivery}"),
                (50, 150, "SKU        Description      Qty    Unit Price    Amount"),
                (50, 166, "BRG-6204   Ball bearing     100    4.10          410.00"),
                (50, 200, "Total GBP 410.00"),
            ]
        ],
        font="Courier",
        size=9,
    )


def test_a_date_reading_both_ways_is_a_guess_when_only_the_currency_says_day_first():
    (e,) = extract_document(_dated_po("10/02/2026", "10/03/2026"), filename="po.pdf", grounding=GROUND)
    assert e.confidence["order.order_date"] == GUESSED_DATE  # 10 Feb or 2 Oct: a pound sign does not say which
    assert e.confidence["order.requested_delivery_date"] == GUESSED_DATE
    (e,) = extract_document(_dated_po("10/02/2026", "10/13/2026"), filename="po.pdf", grounding=GROUND)
    assert e.order.order_date == date(2026, 10, 2)  # the 13th can only be a day: the document writes month first
    assert e.confidence["order.order_date"] > 0.9


def test_a_tax_rate_under_a_rate_header_gives_way_to_the_price_that_makes_the_row_agree():
    header = "SKU        Description      Qty    Rate   Unit Price   Amount"
    rows = [
        (166, "BRG-6204   Ball bearing     100    20     4.10         410.00"),
        (182, "PK-70359   Spring clip      10     19%    2.50         25.00"),
    ]
    (e,) = extract_document(_po(rows, header, total="Total 435.00"), filename="po.pdf", grounding=GROUND)
    got = [(ln.sku, ln.quantity, ln.unit_price, ln.amount) for ln in e.order.lines]
    assert got == [("BRG-6204", D("100"), D("4.10"), D("410.00")), ("PK-70359", D("10"), D("2.50"), D("25.00"))]
    assert not any("!=" in w for w in e.warnings)


def test_an_outlook_reply_with_upper_case_french_columns_and_a_digits_only_po_is_an_order():
    cell = '<td style="border:solid #999 1pt"><p class="MsoNormal">{}</p></td>'
    row = lambda *cells: "<tr>" + "".join(cell.format(c) for c in cells) + "</tr>"  # noqa: E731
    html = (
        '<html xmlns:o="urn:schemas-microsoft-com:office:office"><body><div class="WordSection1">'
        '<p class="MsoNormal">Hello,<o:p></o:p></p><p class="MsoNormal">please find the details below.<o:p></o:p></p>'
        '<p class="MsoNormal">Commande N°: 4521213143<o:p></o:p></p>'
        '<p class="MsoNormal">Date: 2026-04-18<o:p></o:p></p><table border="1">'
        + row("RÉFÉRENCE", "DÉSIGNATION", "QTÉ", "P.U.", "MONTANT")
        + row("BRG-6204", "Roulement", "40 BX", "2.191,25", "87.650,00")
        + row("PK-70359", "Agrafe", "20 M", "2.250,15", "45.003,00")
        + '</table><p class="MsoNormal">Total TTC: 132.653,00<o:p></o:p></p>'
        '<div style="border-top:solid #E1E1E1 1pt"><p class="MsoNormal"><b>De :</b> Northwind Sales<o:p></o:p></p>'
        '<p class="MsoNormal">Merci pour votre offre.<o:p></o:p></p></div></div></body></html>'
    )
    (e,) = extract_document(_mail(html), filename="reply.eml", grounding=GROUND)
    assert e.document_type == "purchase_order"
    assert e.order.po_number == "4521213143"
    assert [(ln.sku, ln.quantity, ln.amount) for ln in e.order.lines] == [
        ("BRG-6204", D("40"), D("87650.00")),
        ("PK-70359", D("20"), D("45003.00")),
    ]


def test_a_csv_remittance_printing_the_payment_on_its_first_row_only_is_one_payment():
    csv = (
        b"Payer,Pay Date,Payment Reference,Invoice No.,Gross,Discount,Net Paid\n"
        b"Acme Industrial Supply Inc.,2026-03-24,PAY-881,INV-1,1000.00,20.00,980.00\n"
        b",,,INV-2,250.00,0.00,250.00\n"
        b",,,INV-3,100.00,0.00,100.00\n"
    )
    (e,) = extract_document(csv, filename="remit.csv", media_type="text/csv")
    r = e.remittance
    assert (r.payment_reference, r.payer_name, r.payment_date) == (
        "PAY-881",
        "Acme Industrial Supply Inc.",
        date(2026, 3, 24),
    )
    assert [i.invoice_number for i in r.items] == ["INV-1", "INV-2", "INV-3"] and r.amount == D("1330.00")
    # a blank reference under a different pay date is no continuation: two payments, as printed
    other_day = csv.replace(b",,,INV-3", b",2026-03-25,,INV-3")
    assert len(extract_document(other_day, filename="remit.csv", media_type="text/csv")) == 2


def test_a_label_too_wide_for_its_column_runs_into_its_value_and_is_cut_off_it():
    label = "Riferimento pagamento"
    touching = 345 + stringWidth(label, "Helvetica", 10)  # the value drawn where the label ends: one word
    items = [
        (40, 40, "Delta Motors S.r.l."),
        (396, 40, "Avviso di pagamento"),
        (345, 72, "Data pagamento"),
        (465, 72, "03.08.2026"),
        (345, 87, label),
        (touching, 87, "PAY-20260803-4926"),
        (345, 102, "Importo pagato"),
        (465, 102, "2.259,69"),
        (40, 184, "Fattura      Data fattura   Importo fattura   Sconto   Importo pagato"),
        (40, 200, "RE689005     14.06.2026     2.259,69          0,00     2.259,69"),
    ]
    (e,) = extract_document(draw_pdf([items]), filename="remit.pdf")
    assert e.remittance.payment_reference == "PAY-20260803-4926"


def test_a_generic_from_column_names_the_payer_when_it_holds_one_name_on_every_row():
    csv = (
        b'"From","Payment Date","Trace No.","Document No.","Net Paid"\n'
        b'"Orion Dental Labs Ltd.","2026-10-11","PAY-1584","90305445","4,313.49"\n'
        b'"Orion Dental Labs Ltd.","2026-10-11","PAY-1584","RE359397","13,324.99"\n'
    )
    (e,) = extract_document(csv, filename="remit.csv", media_type="text/csv")
    assert e.remittance.payer_name == "Orion Dental Labs Ltd."
    two_names = csv.replace(
        b'"Orion Dental Labs Ltd.","2026-10-11","PAY-1584","RE', b'"Acme Inc.","2026-10-11","PAY-1584","RE'
    )
    (e,) = extract_document(two_names, filename="remit.csv", media_type="text/csv")
    assert e.remittance.payer_name is None  # 'From' alone says nothing: two names are no one payer


def _po_billed(top: list[tuple[float, float, str]], bottom: list[tuple[float, float, str]]) -> bytes:
    items = [
        (50, 40, "PURCHASE ORDER"),
        *top,
        (50, 130, "Bill To:"),
        (50, 144, "Orion Dental Labs Ltd."),
        (50, 158, "933 Via Roma, Reno, NV 89501"),
        (50, 200, "SKU        Description      Qty    Unit Price    Amount"),
        (50, 216, "BRG-6204   Ball bearing     100    4.10          410.00"),
        (50, 250, "Total 410.00"),
        *bottom,
    ]
    return draw_pdf([items], font="Courier", size=9)


def test_without_a_letterhead_the_buyer_is_the_bill_to_block_not_a_value_or_a_signer():
    top = [(300, 70, "PO Number:"), (400, 70, "70801388"), (300, 84, "Issue Date:"), (400, 84, "October 26, 2026")]
    (e,) = extract_document(_po_billed(top, []), filename="po.pdf")
    assert e.order.buyer_name == "Orion Dental Labs Ltd."  # not 'October 26, 2026', right of its label
    (e,) = extract_document(_po_billed(top[:2], [(50, 290, "Authorized by: Purchasing")]), filename="po.pdf")
    assert e.order.buyer_name == "Orion Dental Labs Ltd."  # a sign-off below the items names a signer


def test_a_quantity_that_falls_into_the_price_cell_of_a_squeezed_header_is_the_quantity():
    header = "SKU        Description      QTY.PRICE         Amount"
    rows = [(166, "BRG-6204   Ball bearing          3 854,76      2.564,28")]
    (e,) = extract_document(_po(rows, header, total="Total 2.564,28"), filename="po.pdf", grounding=GROUND)
    (line,) = e.order.lines
    assert (line.quantity, line.unit_price, line.amount) == (D("3"), D("854.76"), D("2564.28"))


def test_a_header_word_the_lexicon_lacks_belongs_to_the_label_it_is_printed_against():
    header = "Description      OUR ITEM    Qty   Unit Price   Amount"
    rows = [(166, "Ball bearing     057216      10    4.10         41.00")]
    for grounding in (None, Grounding(skus=frozenset({"057216"}))):
        (e,) = extract_document(_po(rows, header, total="Total 41.00"), filename="po.pdf", grounding=grounding)
        (line,) = e.order.lines
        assert (line.sku, line.description) == ("057216", "Ball bearing")


def test_labels_over_their_values_that_run_into_each_other_take_the_values_below():
    items = [
        (40, 40, "Delta Hydraulics S.L."),
        (400, 40, "Aviso de pago"),
        (40, 100, "Fecha de pago:  Referencia de pagoMetodo de pago:  Importe pagado:"),
        (40, 114, "2026-05-23       4496695           SEPA             21.131,56"),
        (40, 160, "N.º factura  Fecha factura Importe factura Descuento Importe pagado"),
        (40, 176, "2026-05896   2026-05-07         21.131,56      0,00     21.131,56"),
    ]
    (e,) = extract_document(draw_pdf([items], font="Courier", size=9), filename="remit.pdf")
    r = e.remittance
    assert (r.payment_reference, r.payment_date) == ("4496695", date(2026, 5, 23))  # not 'de', the label's word


def test_line_numbers_under_a_header_the_lexicon_lacks_are_not_description_words():
    header = "No°  Description              Code         Qty   Unit Price   Amount"
    rows = [
        (166, "10   Compact V-belt 21mm      BRG-6204     3     4.10         12.30"),
        (182, "20   Spring clip              PK-70359     10    2.50         25.00"),
    ]
    (e,) = extract_document(_po(rows, header, total="Total 37.30"), filename="po.pdf", grounding=GROUND)
    assert [ln.description for ln in e.order.lines] == ["Compact V-belt 21mm", "Spring clip"]


def test_dates_that_read_both_ways_are_decided_when_only_one_way_delivers_after_the_order():
    (e,) = extract_document(_dated_po("01/05/2026", "02/04/2026"), filename="po.pdf", grounding=GROUND)
    # day first would deliver on 2 April an order of 1 May: month first is the only reading that holds
    assert (e.order.order_date, e.order.requested_delivery_date) == (date(2026, 1, 5), date(2026, 2, 4))
    assert e.confidence["order.order_date"] >= 0.9 and e.confidence["order.requested_delivery_date"] >= 0.9
    (e,) = extract_document(_dated_po("07/02/2026", "07/10/2026"), filename="po.pdf", grounding=GROUND)
    assert e.confidence["order.order_date"] == GUESSED_DATE  # both readings deliver after the order: a guess


def test_a_customers_part_number_printed_against_our_sku_is_cut_from_it():
    rows = [(166, "2033-80260BRG-6204 Ball bearing     100    4.10      410.00")]
    for header in (
        "Su codigo         Bezeichnung      Stk    Cena      Razem",  # no header word known: rows by arithmetic
        "Part No.          Description      Qty    Price     Amount",
    ):
        (e,) = extract_document(_po(rows, header, total="Total 410.00"), filename="po.pdf", grounding=GROUND)
        (line,) = e.order.lines
        assert (line.sku, line.description, line.quantity) == ("BRG-6204", "Ball bearing", D("100")), header
