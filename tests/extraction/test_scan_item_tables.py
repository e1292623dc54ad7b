"""Issue 9, a scanned remittance's item table: an ordinal sign OCR reads as '2' ('N2 FACTURA' for 'N.º
FACTURA') or prints glued as a degree sign ('N.°FACTURA') still names the invoice column, and a row whose paid
amount OCR garbled does not end a table whose rows print one number each."""

from __future__ import annotations

from decimal import Decimal

from bench.generalization import GROUNDING, build_cases
from bench.layoutgen import fresh_families
from o2c.extraction.layout import group_lines
from o2c.extraction.pages import Page, Word
from o2c.extraction.remittances import ITEM_COLUMNS, TOTALS
from o2c.extraction.service import extract_document
from o2c.extraction.tables import find_header, read_table

D = Decimal


def _lines(rows: list[str], *, width: float = 5.4) -> list:
    """Laid-out lines from text, one per row 14 points apart, each character `width` points wide."""
    words = []
    for k, text in enumerate(rows):
        x, top = 40.0, 100.0 + 14 * k
        for token in text.split(" "):
            if token:
                words.append(Word(token, x, top, x + width * len(token), top + 9, 0.9))
            x += width * (len(token) + 1)
    return group_lines(Page(1, 612, 792, words))


def test_an_ordinal_sign_read_as_2_or_o_or_a_degree_sign_still_names_the_column():
    for printed in ("N2 FACTURA", "No FACTURA", "N. FACTURA", "N.°FACTURA"):
        (line,) = _lines([f"{printed}      FECHA FACTURA      IMPORTE PAGADO"])
        names = [c.name for c in find_header(line, ITEM_COLUMNS)]
        assert names == ["invoice_number", "_ignored", "amount_paid"], printed


def test_a_garbled_paid_amount_does_not_end_a_table_of_one_number_per_row():
    lines = _lines(
        [
            "N2 FACTURA      FECHA FACTURA      IMPORTE PAGADO",
            "2026-68146      28/07/2026               1.122,17",
            "90908290        1707/2026               35:343,02",
            "RE441254        01/08/2026               3.861,26",
            "Total:                                  10.326,45",
        ]
    )
    table = read_table(lines, ITEM_COLUMNS, TOTALS, required={"invoice_number"}, decimal_comma=True)
    assert table is not None
    assert [row.cells["invoice_number"][0].text for row in table.rows] == ["2026-68146", "RE441254"]


def test_a_scanned_remittance_with_a_spanish_header_reads_its_items_and_stays_in_review():
    """The generated scan of a never-seen family (inspection seed 777): its table was not read at all before.
    One row's amount is garbled and one invoice number misread, so the items cannot sum to the payment: the
    amount stays under the posting threshold (a person looks), but the invoices the page printed are there."""
    (fam,) = [f for f in fresh_families(36, 777) if f.id == "fresh-remit-24"]
    (case,) = build_cases(1, 1, scans=True, fams=[fam], channels=frozenset({"scan"}))
    (e,) = extract_document(case.content, filename=case.name, grounding=GROUNDING)
    paid = {item.invoice_number: item.amount_paid for item in e.remittance.items}
    assert paid["2026-68146"] == D("1122.17")
    assert paid["RE620984"] == D("21086.15")
    assert len(paid) >= 3
    assert e.remittance.amount == D("31412.60")
    assert e.confidence["remittance.amount"] < 0.9


def test_a_scanned_remittance_whose_invoice_label_ocr_glued_to_a_degree_sign_sums_and_is_confident():
    """The emailed scan of another never-seen family (seed 777) prints 'N.º FACTURA', read 'N.°FACTURA': its
    items were not read, so nothing confirmed the payment amount. Read, they sum to it and vouch for it."""
    (fam,) = [f for f in fresh_families(36, 777) if f.id == "fresh-remit-25"]
    (case,) = build_cases(1, 1, scans=True, fams=[fam], channels=frozenset({"emailed_scan"}))
    (e,) = extract_document(case.content, filename=case.name, grounding=GROUNDING)
    paid = [(item.invoice_number, item.amount_paid) for item in e.remittance.items]
    assert paid == [("90391617", D("12020.90")), ("90906936", D("16343.74"))]
    assert e.remittance.amount == D("28364.64")
    assert e.confidence["remittance.amount"] >= 0.9
    assert all(e.confidence[f"remittance.items[{i}].amount_paid"] >= 0.9 for i in range(2))
