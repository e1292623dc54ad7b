"""Master data's price confirms a scanned order's numbers (matching/price_evidence.py); misreads still go to review.

The extractions are shaped as the OCR reader leaves a scanned purchase order: every cell placed on the page
(provenance with a bbox, `ocr`), numbers at the low confidence of shaky Tesseract words, a quantity or price
the reader could not place left out. Master data (tests/ledger/conftest.py): Acme's BRG-6204 costs 4.50, or
4.10 from 100 units; BLT-M8 0.20.
"""

from datetime import date
from decimal import Decimal

from o2c.extraction.schema import PURCHASE_ORDER, ExtractedOrder, Extraction, OrderLine
from o2c.ledger.masterdata import import_master_data
from o2c.ledger.models import CustomerPartNumber
from o2c.ledger.orders import post_order
from o2c.ledger.policy import LedgerPolicy
from o2c.matching.policy import MatchingPolicy
from o2c.matching.service import decide_order

TODAY = date(2024, 3, 20)
M, L = MatchingPolicy(), LedgerPolicy()
SHAKY = 0.55  # what a row whose OCR'd cells did not add up, or could not be checked, is left at


def scanned_po(lines, *, total="420.00", low=(), missing_on_page=(), sure=0.97):
    """A scanned PO extraction: cells in `low` at SHAKY confidence, the rest at `sure`; every field printed on
    the page except the paths in `missing_on_page` (computed by the reader: no bbox)."""
    order = ExtractedOrder(
        po_number="PO-5001",
        order_date=date(2024, 3, 18),
        buyer_name="Acme Industrial Supply Inc.",
        currency="USD",
        total=Decimal(total) if total is not None else None,
        lines=lines,
    )
    confidence, provenance = {}, {}
    paths = ["order.po_number", "order.order_date", "order.buyer_name", "order.total"]
    for i in range(len(lines)):
        paths += [f"order.lines[{i}].{cell}" for cell in ("sku", "quantity", "unit_price", "amount", "uom")]
    for k, path in enumerate(paths):
        value = _value(order, path)
        if value is None:
            continue
        confidence[path] = SHAKY if path in low else sure
        if path not in missing_on_page:
            provenance[path] = {"page": 1, "bbox": [10.0, 10.0 + 12 * k, 60.0, 20.0 + 12 * k], "ocr": True}
    return Extraction(
        source="po.png",
        document_type=PURCHASE_ORDER,
        order=order,
        confidence=confidence,
        provenance=provenance,
        sender="buyer@acme.com",
        channel="ocr",
    )


def _value(order, path):
    if path.startswith("order.lines["):
        index, cell = path[len("order.lines[") :].split("].")
        return getattr(order.lines[int(index)], cell)
    return getattr(order, path.split(".", 1)[1])


def bearing(qty="100", price="4.10", amount="410.00"):
    return OrderLine("BRG-6204", "Ball bearing", _d(qty), "EA", _d(price), _d(amount))


def bolt(qty="50", price="0.20", amount="10.00"):
    return OrderLine("BLT-M8", "Hex bolt", _d(qty), "EA", _d(price), _d(amount))


def _d(text):
    return Decimal(text) if text is not None else None


def decide(session, extraction):
    return decide_order(session, extraction, matching=M, ledger=L, today=TODAY)


def test_low_confidence_cells_that_master_price_and_total_tie_together_post(seeded):
    low = {f"order.lines[0].{c}" for c in ("quantity", "unit_price", "amount")} | {"order.total"}
    decision = decide(seeded, scanned_po([bearing(), bolt()], low=low))
    assert decision.reasons == [] and decision.postable
    line = decision.draft.lines[0]
    assert (line.quantity, line.unit_price, line.amount) == (Decimal("100"), Decimal("4.10"), Decimal("410.00"))
    posted = post_order(seeded, decision.draft, source_extraction_id=1, policy=L, today=TODAY)
    assert posted.invoice_number.startswith("INV-")


def test_unread_quantity_is_amount_over_the_price_tier_that_applies_at_it(seeded):
    # 410.00 / 4.50 (the price below 100) is no whole number; 410.00 / 4.10 = 100, and 4.10 applies at 100
    decision = decide(seeded, scanned_po([bearing(qty=None), bolt()], low={"order.lines[0].unit_price"}))
    assert decision.reasons == [] and decision.draft.lines[0].quantity == Decimal("100")


def test_unread_unit_price_is_the_master_price_when_quantity_times_it_is_the_printed_amount(seeded):
    decision = decide(seeded, scanned_po([bearing(price=None), bolt()], low={"order.lines[0].quantity"}))
    assert decision.reasons == [] and decision.draft.lines[0].unit_price == Decimal("4.10")


def test_a_price_misread_at_low_confidence_is_what_quantity_amount_and_master_data_say(seeded):
    # '4.10' read '4510' (the point taken for a 5): 100 x 4.10 = 410.00 printed, so the price was 4.10
    decision = decide(seeded, scanned_po([bearing(price="4510"), bolt()], low={"order.lines[0].unit_price"}))
    assert decision.reasons == [] and decision.draft.lines[0].unit_price == Decimal("4.10")


# ---- adversarial: misreads that must still go to review ----


def test_misread_quantity_does_not_agree_with_amount_and_stays_low_confidence(seeded):
    low = {"order.lines[0].quantity", "order.lines[0].amount"}
    decision = decide(seeded, scanned_po([bearing(qty="700"), bolt()], low=low))
    assert "low_confidence" in decision.reasons
    assert any(e.get("field") == "order.lines[0].quantity" for e in decision.evidence)


def test_quantity_and_amount_misread_together_are_caught_by_the_printed_total(seeded):
    # 200 x 4.10 = 820.00 agrees with itself and with master data, but the page's total says 420.00
    low = {"order.lines[0].quantity", "order.lines[0].amount"}
    decision = decide(seeded, scanned_po([bearing(qty="200", amount="820.00"), bolt()], low=low))
    assert "low_confidence" in decision.reasons and not decision.postable


def test_no_quantity_is_divided_out_of_a_misread_amount(seeded):
    # 411.00 is no whole number of units at any of BRG-6204's prices: the quantity stays missing
    decision = decide(seeded, scanned_po([bearing(qty=None, amount="411.00"), bolt()], total="421.00"))
    assert "missing_field" in decision.reasons and decision.draft.lines[0].quantity is None


def test_a_total_the_reader_computed_is_no_witness(seeded):
    low = {"order.lines[0].quantity", "order.lines[0].amount", "order.total"}
    extraction = scanned_po([bearing(), bolt()], low=low, missing_on_page={"order.total"})
    assert "low_confidence" in decide(seeded, extraction).reasons


def test_without_a_printed_total_a_missing_quantity_stays_missing(seeded):
    decision = decide(seeded, scanned_po([bearing(qty=None), bolt()], total=None))
    assert "missing_field" in decision.reasons


def test_an_amount_the_reader_computed_cannot_confirm_the_quantity_it_came_from(seeded):
    # the amount has no place on the page (computed from qty x price), the price is not master data's: nothing
    # but the row itself vouches for the quantity
    low = {"order.lines[0].quantity", "order.lines[0].unit_price"}
    line = bearing(qty="200", price="2.05", amount="410.00")
    extraction = scanned_po([line, bolt()], low=low, missing_on_page={"order.lines[0].amount"})
    assert "low_confidence" in decide(seeded, extraction).reasons


def test_a_sku_read_at_low_confidence_confirms_nothing(seeded):
    # BRG-6204 misread for another product would carry that product's price: it cannot vouch for the numbers
    low = {"order.lines[0].sku", "order.lines[0].quantity", "order.lines[0].amount"}
    decision = decide(seeded, scanned_po([bearing(), bolt()], low=low))
    fields = {e.get("field") for e in decision.evidence if e["reason"] == "low_confidence"}
    assert {"order.lines[0].sku", "order.lines[0].quantity", "order.lines[0].amount"} <= fields


def test_a_surely_read_price_that_is_not_master_datas_is_a_price_mismatch(seeded):
    # 4.00 read for sure, quantity missing: 400.00 / 4.00 is whole, but 4.00 is no price of BRG-6204 here
    line = bearing(qty=None, price="4.00", amount="400.00")
    decision = decide(seeded, scanned_po([line, bolt()], total="410.00"))
    assert "missing_field" in decision.reasons and not decision.postable


def test_an_unread_cell_on_a_line_master_data_does_not_price_stays_missing(seeded):
    line = OrderLine("ZZZ-0000", "Unknown part", None, "EA", Decimal("4.10"), Decimal("410.00"))
    decision = decide(seeded, scanned_po([line, bolt()]))
    assert "unknown_product" in decision.reasons and not decision.postable


# ---- an OCR-misread SKU that master data's price names ----


def misread(sku, qty="100", amount="410.00", price="4.10"):
    return OrderLine(sku, "Ball bearing", _d(qty), "EA", _d(price), _d(amount))


def test_a_misread_sku_one_edit_from_a_known_one_whose_price_ties_the_line_is_that_sku(seeded):
    for read in ("BRG-62A4", "$RG-6204", "8RG-6204"):  # a wrong glyph, a '$' for 'B', a look-alike
        decision = decide(seeded, scanned_po([misread(read), bolt()], low={"order.lines[0].sku"}))
        assert decision.reasons == [] and decision.draft.lines[0].sku == "BRG-6204", read


def test_a_misread_sku_with_its_quantity_unread_needs_the_printed_price_to_be_the_skus(seeded):
    decision = decide(seeded, scanned_po([misread("BRG-62A4", qty=None), bolt()]))
    assert decision.reasons == [] and decision.draft.lines[0].quantity == Decimal("100")
    unread_price = scanned_po([misread("BRG-62A4", qty=None, price=None), bolt()])
    assert "unknown_product" in decide(seeded, unread_price).reasons


def test_a_misread_sku_whose_near_sku_has_another_price_stays_unknown(seeded):
    # 100 at 5.00 = 500.00: BRG-6204 costs Acme 4.10 at 100, so the line is not BRG-6204's
    line = misread("BRG-62A4", amount="500.00", price="5.00")
    decision = decide(seeded, scanned_po([line, bolt()], total="510.00"))
    assert "unknown_product" in decision.reasons and not decision.postable


def test_two_near_skus_at_one_price_name_neither(seeded):
    assert decide(seeded, scanned_po([misread("BRG-620X"), bolt()])).reasons == []  # one near SKU: BRG-6204
    import_master_data(
        seeded, "products", "sku,description,uom,unit_price,currency\nBRG-6205,Ball bearing 6205,EA,4.10,USD\n"
    )
    decision = decide(seeded, scanned_po([misread("BRG-620X"), bolt()]))
    assert "unknown_product" in decision.reasons


def test_a_misread_sku_is_not_named_when_the_lines_miss_the_printed_total(seeded):
    decision = decide(seeded, scanned_po([misread("BRG-62A4"), bolt()], total="430.00"))
    assert "unknown_product" in decision.reasons


def test_a_code_two_edits_from_any_sku_is_not_guessed(seeded):
    decision = decide(seeded, scanned_po([misread("BRG-6AA4"), bolt()]))
    assert "unknown_product" in decision.reasons


# ---- a customer's part number read where our SKU belongs (extraction leaves it under 0.9) ----


def _acme_part_number(session, number="AC-77812", sku="BRG-6204"):
    session.add(CustomerPartNumber(customer_id="C-1001", part_number=number, sku=sku, provenance="test"))
    session.flush()


def test_a_part_number_whose_mapped_skus_price_ties_the_line_posts_as_that_sku(seeded):
    _acme_part_number(seeded)
    line = misread("AC-77812")
    decision = decide(seeded, scanned_po([line, bolt()], low={"order.lines[0].sku"}))
    assert decision.reasons == [] and decision.draft.lines[0].sku == "BRG-6204"


def test_a_part_number_whose_mapped_sku_costs_otherwise_stays_low_confidence(seeded):
    _acme_part_number(seeded)
    line = misread("AC-77812", amount="500.00", price="5.00")  # BRG-6204 costs Acme 4.10 at 100: not this line
    decision = decide(seeded, scanned_po([line, bolt()], total="510.00", low={"order.lines[0].sku"}))
    assert "low_confidence" in decision.reasons and not decision.postable
    missed_total = decide(seeded, scanned_po([misread("AC-77812"), bolt()], total="430.00", low={"order.lines[0].sku"}))
    assert "low_confidence" in missed_total.reasons
