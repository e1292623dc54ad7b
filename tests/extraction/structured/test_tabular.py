"""CSV and XLSX remittance files: header synonyms, locales, several payments in one file, and bad cells."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from o2c.extraction.errors import UnreadableDocument
from o2c.extraction.service import extract_document
from o2c.extraction.structured import read_structured
from o2c.extraction.structured.tabular import XLSX
from o2c.intake.sniff import is_supported, sniff_media_type
from tests.extraction.structured.generators import (
    DEFAULT_ITEMS,
    REMITTANCE_HEADER,
    Paid,
    remittance_csv,
    remittance_rows,
    remittance_xlsx,
)


def _items(remittance):
    return [(i.invoice_number, i.amount_paid, i.invoice_amount, i.discount, i.po_number) for i in remittance.items]


EXPECTED = [(p.invoice, p.paid, p.invoice_amount, p.discount, p.po) for p in DEFAULT_ITEMS]


def test_csv_remittance():
    (extraction,) = extract_document(remittance_csv(remittance_rows()), filename="remit.csv")
    r = extraction.remittance
    assert extraction.document_type == "remittance_advice" and extraction.channel == "structured"
    assert r.payment_reference == "CHK-20417" and r.payment_date == date(2026, 3, 5)
    assert r.payer_name == "Acme Industrial Supply" and r.amount == Decimal("1230.50")
    assert _items(r) == EXPECTED
    assert extraction.confidence["remittance.items[0].amount_paid"] == 1.0
    assert extraction.confidence["remittance.amount"] < 1.0  # summed by us, not sent
    assert extraction.provenance["remittance.items[1].invoice_number"] == {
        "element": "row 3, column 4",
        "text": "INV-1002",
    }


def test_semicolon_csv_with_decimal_commas_other_headers_and_a_preamble():
    header = ["Rechnungsnummer", "Rechnungsbetrag", "Skonto", "Zahlbetrag"]
    rows = [["RE-1", "1.000,00", "20,00", "980,00"], ["RE-2", "250,50", "", "250,50"], ["Summe", "", "", "1.230,50"]]
    preamble = [["Zahler", "Müller Maschinenbau GmbH"], ["Zahlungsdatum", "05.03.2026"], ["Währung", "EUR"]]
    content = remittance_csv(rows, header=header, delimiter=";", preamble=preamble)
    (extraction,) = read_structured(content, filename="avis.csv", media_type="text/csv")
    r = extraction.remittance
    assert r.payer_name == "Müller Maschinenbau GmbH" and r.payment_date == date(2026, 3, 5) and r.currency == "EUR"
    assert [(i.invoice_number, i.invoice_amount, i.discount, i.amount_paid) for i in r.items] == [
        ("RE-1", Decimal("1000.00"), Decimal("20.00"), Decimal("980.00")),
        ("RE-2", Decimal("250.50"), None, Decimal("250.50")),
    ]
    assert r.amount == Decimal("1230.50") and not extraction.warnings


def test_xlsx_remittance_with_numbers_and_dates():
    rows = [[r[0], date(2026, 3, 5), *r[2:]] for r in remittance_rows()]
    content = remittance_xlsx(rows, preamble=[["Remittance advice"], ["Currency", "USD"]])
    assert sniff_media_type(content, "remit.xlsx") == XLSX and is_supported(XLSX)
    (extraction,) = extract_document(content, filename="remit.xlsx")
    r = extraction.remittance
    assert r.payment_date == date(2026, 3, 5) and r.currency == "USD" and _items(r) == EXPECTED
    assert r.amount == Decimal("1230.5")


def test_one_remittance_per_payment_reference():
    rows = remittance_rows() + remittance_rows([Paid("INV-3001", Decimal("75.00"))], reference="CHK-20418")
    first, second = read_structured(remittance_csv(rows), filename="batch.csv", media_type="text/csv")
    assert (first.part, second.part) == ("payment CHK-20417", "payment CHK-20418")
    assert second.remittance.amount == Decimal("75.00") and len(second.remittance.items) == 1


def test_a_total_that_does_not_add_up_warns():
    rows = remittance_rows() + [["", "", "", "Total", "", "", "", "1300.00"]]
    (extraction,) = read_structured(remittance_csv(rows), filename="remit.csv", media_type="text/csv")
    assert extraction.remittance.amount == Decimal("1300.00")
    assert any("differs from the sum" in w for w in extraction.warnings)


def test_csv_without_a_remittance_header_is_left_to_the_text_path():
    content = b"sku,description,price\nWID-1,Widget,4.25\n"
    assert read_structured(content, filename="prices.csv", media_type="text/csv") is None


def test_xlsx_without_a_remittance_header_is_other():
    (extraction,) = extract_document(remittance_xlsx([["a", 1]], header=["Name", "Value"]), filename="x.xlsx")
    assert extraction.document_type == "other" and extraction.warnings


def test_bad_cells_are_named():
    rows = remittance_rows()
    rows[1][7] = "two hundred"
    with pytest.raises(UnreadableDocument) as caught:
        read_structured(remittance_csv(rows), filename="remit.csv", media_type="text/csv")
    assert caught.value.reason == "bad_value" and "row 3" in caught.value.message
    rows = remittance_rows(paid_on="not a date")
    with pytest.raises(UnreadableDocument) as caught:
        read_structured(remittance_csv(rows), filename="remit.csv", media_type="text/csv")
    assert caught.value.reason == "bad_value"


def test_corrupt_xlsx_is_refused():
    content = remittance_xlsx(remittance_rows())
    with pytest.raises(UnreadableDocument) as caught:
        extract_document(content[: len(content) // 2], filename="remit.xlsx")
    assert caught.value.reason == "malformed"


def _read(text: str) -> list:
    return read_structured(text.encode(), filename="remit.csv", media_type="text/csv")


def test_an_amount_cell_holds_an_amount_and_nothing_else():
    """parse_amount drops letters ('INV10001' -> 10001); a table cell with letters other than a currency is no
    amount."""
    with pytest.raises(UnreadableDocument) as caught:
        _read("Invoice,Amount Paid\nINV-1,INV10001\n")
    assert caught.value.reason == "bad_value" and "'INV10001' is not an amount" in caught.value.message
    (extraction,) = _read('Invoice,Amount Paid,Discount\nINV-1,"USD 1,234.50",$5.00\nINV-2,(12.00),\n')
    assert [(i.amount_paid, i.discount) for i in extraction.remittance.items] == [
        (Decimal("1234.50"), Decimal("5.00")),
        (Decimal("-12.00"), None),
    ]


def test_the_tables_decimal_mark_reads_its_ambiguous_cells():
    (extraction,) = _read("Rechnung;Zahlbetrag\nRE-1;1.234,56\nRE-2;1.000\n")
    assert [i.amount_paid for i in extraction.remittance.items] == [Decimal("1234.56"), Decimal("1000")]
    assert extraction.confidence["remittance.items[1].amount_paid"] == 1.0
    (extraction,) = _read('Invoice,Amount Paid\nINV-1,"1,234.56"\nINV-2,"1,000"\nINV-3,12.5\n')
    assert [i.amount_paid for i in extraction.remittance.items] == [
        Decimal("1234.56"),
        Decimal("1000"),
        Decimal("12.5"),
    ]
    (extraction,) = _read("Rechnung;Zahlbetrag\nRE-1;1.000\n")  # nothing else in the table says which
    assert extraction.confidence["remittance.items[0].amount_paid"] < 0.9


def test_a_csv_row_wider_than_its_header_is_refused():
    with pytest.raises(UnreadableDocument) as caught:
        _read("Invoice,Amount Paid\nINV-1,8,120.45\n")
    assert caught.value.reason == "bad_value" and caught.value.message.startswith("row 2 has 3 filled cells")
    (extraction,) = _read("Invoice,Amount Paid,\nINV-1,8120.45,,\n")  # empty trailing cells are no cells
    assert extraction.remittance.items[0].amount_paid == Decimal("8120.45")


@pytest.mark.parametrize("label", ["Total", "Totals", "Subtotal", "Sub-total", "Grand Total", "Sum", "Summe"])
def test_total_rows_in_their_many_words(label):
    (extraction,) = _read(f"Invoice,Amount Paid\nINV-1,100.00\nINV-2,200.00\n{label},300.00\n")
    assert [i.invoice_number for i in extraction.remittance.items] == ["INV-1", "INV-2"]
    assert extraction.remittance.amount == Decimal("300.00") and not extraction.warnings


def test_a_money_column_no_field_reads_is_named_with_its_column():
    header = "Invoice,Qty,Invoice Date,Cash Disc.,,Memo,Amount Paid"
    rows = "INV-1,3,2026-03-01,20.00,12.50,thanks,980.00\nINV-2,1,2026-03-02,,,ok,250.50\n"
    (extraction,) = _read(header + "\n" + rows)
    assert extraction.warnings == ["unread money column 'Cash Disc.' (column 4)", "unread money column '' (column 5)"]
    assert extraction.provenance["remittance.unread_columns[0]"] == {"element": "column 4", "text": "Cash Disc."}
    assert extraction.provenance["remittance.unread_columns[1]"] == {"element": "column 5", "text": ""}
    (extraction,) = _read("Invoice,Customer No,Amount Paid\nINV-1,4711,980.00\n")  # whole numbers: an id, not money
    assert extraction.warnings == []


def test_an_xlsx_money_column_no_field_reads_is_named():
    rows = [[*r, Decimal("12.34")] for r in remittance_rows()]
    (extraction,) = extract_document(
        remittance_xlsx(rows, header=[*REMITTANCE_HEADER, "Withholding"]), filename="remit.xlsx"
    )
    assert extraction.warnings == ["unread money column 'Withholding' (column 9)"]
