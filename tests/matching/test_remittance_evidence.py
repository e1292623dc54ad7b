"""One misread paid amount of a scanned advice is recovered from the printed total and the ledger's open amount
(matching/remittance_evidence.py); anything less certain still goes to review.

Acme (C-1001) has INV-090001 open at 1000.00 and INV-090002 at 250.00 (tests/ledger/conftest.py). The advices
are shaped as the OCR reader leaves a scan: fields placed on the page, at the low confidence of shaky words.
"""

from datetime import date
from decimal import Decimal

from o2c.extraction.schema import REMITTANCE_ADVICE, ExtractedRemittance, Extraction, RemittanceItem
from o2c.ledger.cash import post_payment
from o2c.ledger.policy import LedgerPolicy
from o2c.matching.policy import MatchingPolicy
from o2c.matching.service import decide_remittance

TODAY = date(2024, 3, 20)
M, L = MatchingPolicy(), LedgerPolicy()


def scanned_advice(paid: dict[str, str | None], amount: str, *, total_on_page: bool = True) -> Extraction:
    items = [RemittanceItem(ref, Decimal(value) if value else None) for ref, value in paid.items()]
    confidence = {"remittance.payer_name": 0.95, "remittance.amount": 0.6, "remittance.payment_date": 0.93}
    provenance = {}
    for i in range(len(items)):
        confidence |= {f"remittance.items[{i}].invoice_number": 0.55, f"remittance.items[{i}].amount_paid": 0.55}
    for k, path in enumerate(confidence):
        if path != "remittance.amount" or total_on_page:
            provenance[path] = {"page": 1, "bbox": [10.0, 10.0 + 12 * k, 80.0, 20.0 + 12 * k], "ocr": True}
    return Extraction(
        source="ra.png",
        document_type=REMITTANCE_ADVICE,
        remittance=ExtractedRemittance(
            payer_name="Acme Industrial Supply Inc.",
            payment_date=date(2024, 3, 19),
            payment_reference="ACH-88",
            currency="USD",
            amount=Decimal(amount),
            items=items,
        ),
        confidence=confidence,
        provenance=provenance,
        channel="ocr",
    )


def decide(session, extraction):
    return decide_remittance(session, extraction, matching=M, ledger=L)


def applied(decision) -> list[Decimal]:
    return [a.amount for a in decision.draft.applications]


def test_a_misread_paid_amount_is_the_open_amount_the_printed_total_leaves_for_it(seeded):
    for misread in ("100.00", "00.00", None):  # '1,000.00' read with a digit lost, a fragment, or not at all
        extraction = scanned_advice({"INV-090001": misread, "INV-090002": "250.00"}, "1250.00")
        decision = decide(seeded, extraction)
        assert decision.reasons == [] and decision.postable, misread
        assert applied(decision) == [Decimal("1000.00"), Decimal("250.00")]
        assert decision.draft.remittance_lines[0].amount_paid == Decimal("1000.00")
    posted = post_payment(seeded, decision.draft, source_extraction_id=9, today=TODAY)
    assert posted is not None


# ---- adversarial: what must still go to review (or post as read) ----


def test_a_short_pay_that_adds_up_is_not_recovered(seeded):
    decision = decide(seeded, scanned_advice({"INV-090001": "900.00", "INV-090002": "250.00"}, "1150.00"))
    assert decision.draft is not None and applied(decision)[0] == Decimal("900.00")


def test_two_items_off_are_not_recovered(seeded):
    decision = decide(seeded, scanned_advice({"INV-090001": "100.00", "INV-090002": "25.00"}, "1250.00"))
    assert "amount_mismatch" in decision.reasons and not decision.postable


def test_a_total_that_leaves_another_amount_recovers_nothing(seeded):
    decision = decide(seeded, scanned_advice({"INV-090001": "100.00", "INV-090002": "250.00"}, "1200.00"))
    assert "amount_mismatch" in decision.reasons and not decision.postable


def test_a_total_not_read_from_the_page_is_no_witness(seeded):
    extraction = scanned_advice({"INV-090001": "100.00", "INV-090002": "250.00"}, "1250.00", total_on_page=False)
    assert "amount_mismatch" in decide(seeded, extraction).reasons


def test_an_ocr_folded_reference_is_not_enough(seeded):
    # 'INV-O90001' names INV-090001 only by folding O to 0: the item does not name its invoice by its number
    decision = decide(seeded, scanned_advice({"INV-O90001": "100.00", "INV-090002": "250.00"}, "1250.00"))
    assert not decision.postable
