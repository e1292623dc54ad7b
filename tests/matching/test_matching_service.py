"""The façade: extraction in, postable draft or reasons with evidence out; postable drafts post end to end."""

import dataclasses
from datetime import date
from decimal import Decimal

from sqlalchemy import select

from o2c.extraction.schema import (
    PURCHASE_ORDER,
    REMITTANCE_ADVICE,
    ExtractedOrder,
    ExtractedRemittance,
    Extraction,
    OrderLine,
    RemittanceItem,
)
from o2c.ledger.cash import post_payment
from o2c.ledger.models import Deduction, Invoice
from o2c.ledger.orders import post_order
from o2c.ledger.policy import LedgerPolicy
from o2c.matching.policy import MatchingPolicy
from o2c.matching.service import decide_order, decide_remittance

TODAY = date(2024, 3, 20)
M, L = MatchingPolicy(), LedgerPolicy()


def po(lines=None, **kw):
    fields = {
        "po_number": "PO-5001",
        "order_date": date(2024, 3, 18),
        "buyer_name": "Acme Industrial Supply Inc.",
        "currency": "USD",
        "total": Decimal("420.00"),
    }
    fields.update(kw)
    lines = lines or [
        OrderLine("BRG-6204", "Ball bearing", Decimal("100"), "EA", Decimal("4.10"), Decimal("410.00")),
        OrderLine("BLT-M8", "Hex bolt", Decimal("50"), "EA", Decimal("0.20"), Decimal("10.00")),
    ]
    return Extraction(
        source="po.pdf",
        document_type=PURCHASE_ORDER,
        order=ExtractedOrder(lines=lines, **fields),
        sender="buyer@acme.com",
    )


def remittance(items, amount, payer="Acme Industrial Supply Inc.", paid=date(2024, 3, 22), reference="ACH-77", **kw):
    return Extraction(
        source="ra.pdf",
        document_type=REMITTANCE_ADVICE,
        remittance=ExtractedRemittance(
            payer_name=payer,
            payment_date=paid,
            payment_reference=reference,
            currency="USD",
            amount=Decimal(amount),
            items=items,
            **kw,
        ),
    )


def item(ref, paid, discount=None, po=None):
    return RemittanceItem(ref, Decimal(paid), Decimal(discount) if discount else None, po_number=po)


def test_clean_order_is_postable_and_posts(seeded):
    decision = decide_order(seeded, po(), matching=M, ledger=L, today=TODAY)
    assert decision.reasons == [] and decision.postable and decision.customer_id == "C-1001"
    assert (decision.amount_at_risk, decision.currency) == (Decimal("420.00"), "USD")
    posted = post_order(seeded, decision.draft, source_extraction_id=1, policy=L, today=TODAY)
    assert posted.invoice_number == "INV-000001"
    again = decide_order(seeded, po(), matching=M, ledger=L, today=TODAY)
    assert again.reasons == ["duplicate_order"]
    assert again.duplicate_of_order_id == posted.order_id  # same customer + PO + total: a re-send, not a conflict
    changed = po(
        [OrderLine("BRG-6204", "Ball bearing", Decimal("200"), "EA", Decimal("4.10"), Decimal("820.00"))],
        total=Decimal("820.00"),
    )
    conflict = decide_order(seeded, changed, matching=M, ledger=L, today=TODAY)
    assert "duplicate_order" in conflict.reasons and conflict.duplicate_of_order_id is None


def test_price_mismatch_evidence(seeded):
    lines = [OrderLine("BRG-6204", "Ball bearing", Decimal("100"), "EA", Decimal("4.50"), Decimal("450.00"))]
    decision = decide_order(seeded, po(lines, total=Decimal("450.00")), matching=M, ledger=L, today=TODAY)
    assert decision.reasons == ["price_mismatch"] and not decision.postable
    ev = decision.evidence[0]
    assert (ev["field"], ev["read"], ev["expected"]) == ("order.lines[0].unit_price", "4.50", "4.10")
    assert "contract C-1001/BRG-6204 min_qty 100" in ev["rule"]


def test_low_confidence_carries_provenance(seeded):
    extraction = po()
    extraction.confidence = {"order.po_number": 0.99, "order.lines[0].unit_price": 0.55, "order.ship_to": 0.1}
    extraction.provenance = {"order.lines[0].unit_price": {"page": 1, "bbox": [10, 20, 30, 40], "text": "4.10"}}
    decision = decide_order(seeded, extraction, matching=M, ledger=L, today=TODAY)
    assert decision.reasons == ["low_confidence"]
    assert decision.evidence == [
        {
            "reason": "low_confidence",
            "field": "order.lines[0].unit_price",
            "read": "4.10",
            "confidence": 0.55,
            "provenance": extraction.provenance["order.lines[0].unit_price"],
            "rule": "confidence < 0.9",
        }
    ]


def test_unknown_customer_and_product(seeded):
    lines = [OrderLine("XX-1", "lithium grease 1kg", Decimal("1"), "EA", Decimal("12.50"), Decimal("12.50"))]
    decision = decide_order(seeded, po(lines, total=Decimal("12.50")), matching=M, ledger=L, today=TODAY)
    assert decision.reasons == ["unknown_product"]
    assert decision.evidence[0]["candidates"][0]["sku"] == "GRS-1KG"
    stranger = po(buyer_name="Initech Ltd")
    stranger.sender = "x@initech.com"
    assert decide_order(seeded, stranger, matching=M, ledger=L, today=TODAY).reasons == ["unknown_customer"]
    assert decide_order(seeded, remittance([], "1"), matching=M, ledger=L).reasons == ["unsupported_document"]


def test_remittance_exact_and_normalized_references_post(seeded):
    decision = decide_remittance(
        seeded,
        remittance([item("INV-090002", "250.00"), item("90003", "750.00")], "1000.00"),
        matching=M,
        ledger=L,
    )
    assert decision.postable, decision.evidence
    assert [a.rule for a in decision.draft.applications] == ["reference.exact", "reference.normalized"]
    posted = post_payment(seeded, decision.draft, source_extraction_id=5, today=TODAY)
    assert [a["invoice_number"] for a in posted.applications] == ["INV-090002", "INV-090003"]
    replay = decide_remittance(seeded, remittance([item("INV-090002", "250.00")], "250.00"), matching=M, ledger=L)
    assert replay.reasons == ["payment_reference_reused"]  # this check already paid INV-090002: the payment named
    assert replay.evidence[0]["original_payment_id"] == posted.payment_id
    other = remittance([item("INV-090002", "250.00")], "250.00", reference="ACH-78")
    replay = decide_remittance(seeded, other, matching=M, ledger=L)
    assert replay.reasons == ["unmatched_invoice"]  # already paid: evidence names the closed invoice
    assert replay.evidence[0]["candidates"][0]["invoice_number"] == "INV-090002"


def test_remittance_ocr_reference_needs_agreeing_amount(seeded):
    ok = decide_remittance(seeded, remittance([item("INV-O9OOO2", "250.00")], "250.00"), matching=M, ledger=L)
    assert ok.postable and ok.draft.applications[0].rule == "reference.ocr+amount"
    bad = decide_remittance(seeded, remittance([item("INV-O9OOO2", "240.00")], "240.00"), matching=M, ledger=L)
    assert bad.reasons == ["unmatched_invoice"]


def test_remittance_discount_earned_and_unearned(seeded):
    # INV-090001: 1000.00 dated 2024-03-15, C-1001 terms 2/10 Net 30
    earned = decide_remittance(
        seeded, remittance([item("INV-090001", "980.00", "20.00")], "980.00"), matching=M, ledger=L
    )
    assert earned.postable
    post_payment(seeded, earned.draft, source_extraction_id=1, today=TODAY)
    assert seeded.scalar(select(Invoice.open_amount).where(Invoice.invoice_number == "INV-090001")) == 0


def test_unearned_discount_and_short_pay_post_with_deductions(seeded):
    late = decide_remittance(
        seeded,
        remittance([item("INV-090001", "980.00", "20.00")], "980.00", paid=date(2024, 3, 26)),
        matching=M,
        ledger=L,
    )
    assert late.postable and late.draft.applications[0].discount == 0
    (unearned,) = late.draft.deductions
    assert (unearned.reason_code, unearned.amount) == ("unearned_discount", Decimal("20.00"))
    short = decide_remittance(seeded, remittance([item("INV-090002", "240.00")], "240.00"), matching=M, ledger=L)
    assert short.postable and [(d.reason_code, d.amount) for d in short.draft.deductions] == [
        ("short_payment", Decimal("10.00"))
    ]
    posted = post_payment(seeded, short.draft, source_extraction_id=7, today=TODAY)
    invoice = seeded.scalar(select(Invoice).where(Invoice.invoice_number == "INV-090002"))
    assert invoice.open_amount == Decimal("10.00")  # kept open: a deduction is never a silent write-off
    deduction = seeded.scalar(select(Deduction).where(Deduction.payment_id == posted.payment_id))
    assert (deduction.status, deduction.amount, deduction.reason_code) == ("open", Decimal("10.00"), "short_payment")
    total = decide_remittance(seeded, remittance([item("INV-090003", "750.00")], "760.00"), matching=M, ledger=L)
    assert total.reasons == ["amount_mismatch"] and total.evidence[0]["field"] == "remittance.amount"


def test_overpaid_item_leaves_unapplied_cash_on_account_within_the_tolerance(seeded):
    over = decide_remittance(seeded, remittance([item("INV-090002", "250.60")], "250.60"), matching=M, ledger=L)
    assert over.postable and over.draft.applications[0].amount == Decimal("250.00")
    posted = post_payment(seeded, over.draft, source_extraction_id=8, today=TODAY)
    assert posted.unapplied_amount == Decimal("0.60")
    # beyond the over-payment tolerance (1.00 by default) a person decides; a wider setting lets it through
    beyond = decide_remittance(seeded, remittance([item("INV-090003", "760.00")], "760.00"), matching=M, ledger=L)
    assert beyond.reasons == ["overpayment"] and Decimal(beyond.evidence[0]["expected"]) == Decimal("750.00")
    wide = dataclasses.replace(L, overpayment_tolerance=Decimal("20"))
    assert decide_remittance(
        seeded, remittance([item("INV-090003", "760.00")], "760.00"), matching=M, ledger=wide
    ).postable


def test_a_deduction_needs_a_row_that_agrees_with_itself_and_the_ledger(seeded):
    """A never-seen scanned advice read 9,159.52 as 52 twice (item and payment): the sums agreed, and 9,294.45 of
    deduction posted. Its row printed invoice 9,346.45 and discount 186.93: that row says 9,159.52 was paid."""

    def row(paid, discount, printed):
        return RemittanceItem("INV-090002", Decimal(paid), Decimal(discount), invoice_amount=Decimal(printed))

    misread = decide_remittance(seeded, remittance([row("52.00", "5.00", "250.00")], "52.00"), matching=M, ledger=L)
    assert misread.reasons == ["amount_mismatch"] and not misread.postable
    assert misread.evidence[0]["expected"] == "245.00"
    elsewhere = decide_remittance(seeded, remittance([row("240.00", "0", "2500.00")], "240.00"), matching=M, ledger=L)
    assert elsewhere.reasons == ["amount_mismatch"] and elsewhere.evidence[0]["field"].endswith("invoice_amount")
    # a short pay whose row states the invoice's own amount and no discount still posts with its deduction
    short = decide_remittance(seeded, remittance([row("240.00", "0", "250.00")], "240.00"), matching=M, ledger=L)
    assert short.postable and [(d.reason_code, d.amount) for d in short.draft.deductions] == [
        ("short_payment", Decimal("10.00"))
    ]


def test_short_pay_on_an_ocr_guessed_reference_goes_to_review(seeded):
    garbled = decide_remittance(seeded, remittance([item("INV-O9OOO2", "240.00")], "240.00"), matching=M, ledger=L)
    assert not garbled.postable


def test_remittance_amount_only_unique_and_ambiguous(seeded):
    unique = decide_remittance(seeded, remittance([], "1250.00"), matching=M, ledger=L)  # 1000 + 250 only
    assert unique.postable and sorted(a.amount for a in unique.draft.applications) == [
        Decimal("250.00"),
        Decimal("1000.00"),
    ]
    ambiguous = decide_remittance(seeded, remittance([], "1000.00"), matching=M, ledger=L)  # 1000 | 250 + 750
    assert ambiguous.reasons == ["ambiguous_match"] and len(ambiguous.evidence[0]["candidates"]) == 2
    none = decide_remittance(seeded, remittance([], "123.45"), matching=M, ledger=L)
    assert none.reasons == ["unmatched_invoice"]


def test_the_owner_of_the_referenced_invoices_is_never_the_payer(seeded):
    """Case 1: invoice numbers are sequential and easy to guess; an unknown payer naming them posts nothing."""
    decision = decide_remittance(
        seeded, remittance([item("INV-090002", "250.00")], "250.00", payer="AP Dept 4"), matching=M, ledger=L
    )
    assert decision.reasons == ["unknown_customer"] and not decision.postable
    assert decision.evidence[0]["invoice_owners"] == ["C-1001"]  # shown to the reviewer, nothing more
    unknown = decide_remittance(
        seeded, remittance([item("INV-404", "250.00")], "250.00", payer="AP Dept 4"), matching=M, ledger=L
    )
    assert unknown.reasons == ["unknown_customer"]


def test_printed_total_with_tax_is_compared_net(seeded):
    gross = po(total=Decimal("453.60"), tax=Decimal("33.60"))
    assert decide_order(seeded, gross, matching=M, ledger=L, today=TODAY).reasons == []
    assert decide_order(seeded, po(total=Decimal("453.60")), matching=M, ledger=L, today=TODAY).reasons == [
        "amount_mismatch"
    ]


def test_payment_date_confidence_matters_only_with_a_discount(seeded):
    plain = remittance([item("INV-090002", "250.00")], "250.00")
    plain.confidence = {"remittance.payment_date": 0.5, "remittance.currency": 0.5}
    assert decide_remittance(seeded, plain, matching=M, ledger=L).reasons == []
    discounted = remittance([item("INV-090001", "980.00", "20.00")], "980.00")
    discounted.confidence = {"remittance.payment_date": 0.5}
    assert decide_remittance(seeded, discounted, matching=M, ledger=L).reasons == ["low_confidence"]


def test_an_open_invoice_settled_exactly_vouches_for_a_low_confidence_read(seeded):
    """An OCR'd invoice number that is the payer's open invoice, paid to the cent, was read right; a short pay
    or a read that matches nothing keeps its low-confidence reason."""
    settled = remittance([item("INV-090002", "250.00")], "250.00")
    settled.confidence = {"remittance.items[0].invoice_number": 0.8, "remittance.amount": 0.8}
    decision = decide_remittance(seeded, settled, matching=M, ledger=L)
    assert decision.reasons == [] and decision.postable
    short = remittance([item("INV-090002", "200.00")], "200.00")
    short.confidence = {"remittance.items[0].invoice_number": 0.8}
    assert "low_confidence" in decide_remittance(seeded, short, matching=M, ledger=L).reasons
    other_field = remittance([item("INV-090002", "250.00")], "250.00")
    other_field.confidence = {"remittance.items[0].invoice_number": 0.8, "document_type": 0.5}
    assert decide_remittance(seeded, other_field, matching=M, ledger=L).reasons == ["low_confidence"]
