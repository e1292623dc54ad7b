"""Reference normalization, OCR-confusable references and the bounded amount-only combination search."""

from decimal import Decimal

import pytest

from o2c.extraction.schema import RemittanceItem
from o2c.ledger.models import Invoice
from o2c.matching.open_items import find_combinations, match_item, normalize_reference, ocr_key


@pytest.mark.parametrize(
    ("read", "key"),
    [
        ("INV-000123", "123"),
        ("Invoice No. 00123", "123"),
        ("inv#123", "123"),
        ("RI 0123", "123"),
        ("INV.NO.123", "123"),
        ("2024-0001", "20240001"),
        ("INVENTORY-1", "INVENTORY1"),
        ("000", "0"),
        ("", ""),
    ],
)
def test_normalize_reference(read, key):
    assert normalize_reference(read) == key


def test_ocr_key_folds_confusables():
    assert ocr_key("INV-OO1S8") == ocr_key("INV-00158") == "158"
    assert ocr_key("INV-B0I2") == ocr_key("INV-8012")


def invoice(ident, number, open_amount, po=None):
    inv = Invoice(
        id=ident,
        invoice_number=number,
        customer_id="C",
        amount=Decimal(open_amount),
        open_amount=Decimal(open_amount),
        currency="USD",
        po_number=po,
    )
    return inv


OPEN = [
    invoice(1, "INV-000158", "100.00", "PO-1"),
    invoice(2, "INV-000159", "200.00", "PO-2"),
    invoice(3, "INV-000160", "300.00", "PO-2"),
]


def test_match_item_rules():
    assert match_item(RemittanceItem("INV-000158"), OPEN).rule == "reference.exact"
    assert match_item(RemittanceItem("158"), OPEN).rule == "reference.normalized"
    ocr_ok = match_item(RemittanceItem("INV-OOO1S8", amount_paid=Decimal("100.00")), OPEN)
    assert (ocr_ok.invoice.id, ocr_ok.rule) == (1, "reference.ocr+amount")
    ocr_bad = match_item(RemittanceItem("INV-OOO1S8", amount_paid=Decimal("99.00")), OPEN)
    assert ocr_bad.invoice is None and ocr_bad.candidates[0]["invoice_number"] == "INV-000158"
    assert match_item(RemittanceItem(None, po_number="PO-1"), OPEN).invoice.id == 1
    by_po = match_item(RemittanceItem(None, po_number="PO-2"), OPEN)
    assert by_po.invoice is None and by_po.ambiguous
    assert match_item(RemittanceItem("INV-999"), OPEN).invoice is None


def items(*amounts):
    return [(i + 1, Decimal(a)) for i, a in enumerate(amounts)]


def test_combination_unique_ambiguous_none_and_bounded():
    unique = find_combinations(Decimal("350"), items("100", "250", "400", "75"), max_size=4, max_candidates=10)
    assert unique.unique == (1, 2)
    ambiguous = find_combinations(Decimal("300"), items("100", "200", "300"), max_size=4, max_candidates=10)
    assert len(ambiguous.solutions) == 2 and ambiguous.unique is None
    assert find_combinations(Decimal("1"), items("2", "3"), max_size=4, max_candidates=10).solutions == []
    # a five-invoice solution exceeds max_size
    assert find_combinations(Decimal("5"), items(*["1"] * 5), max_size=4, max_candidates=10).solutions == []
    # too many candidates: refuse rather than call a partial search unique
    crowd = find_combinations(Decimal("1"), items("1", *["0.5"] * 20), max_size=4, max_candidates=10)
    assert crowd.too_many_candidates and crowd.unique is None
    # amounts above the payment are not candidates, so they do not count against the bound
    big = find_combinations(Decimal("10"), items("10", *["99"] * 50), max_size=4, max_candidates=10)
    assert big.unique == (1,)
