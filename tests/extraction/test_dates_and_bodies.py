"""Day/month order decided by the document's language and number format, a date that reads both ways is a guess
(not a confident reading), and e-mail bodies classified by their labels in any lexicon language."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from o2c.extraction.lexicon import label_languages
from o2c.extraction.normalize import GUESSED_DATE, decide_date_order, guessed_order, parse_date
from o2c.extraction.service import extract_document

D = Decimal


def test_labels_of_a_day_first_language_or_decimal_commas_decide_the_date_order():
    french = "Date de paiement: 08/01/2026\nMode de paiement: SEPA\nMontant payé: 22686.43"
    assert label_languages(french).get("fr", 0) >= 2
    order = decide_date_order(french)
    assert order.day_first and order.decided_by == "locale"
    assert parse_date("08/01/2026", order) == date(2026, 1, 8)
    assert decide_date_order("Payment Date: 08/01/2026\nAmount: 22.686,43").day_first
    english = decide_date_order("Payment Date: 08/01/2026\nAmount Paid: 22,686.43")
    assert not english.day_first and english.decided_by == "default"
    assert guessed_order("08/01/2026", date(2026, 8, 1), english)
    assert not guessed_order("08/13/2026", date(2026, 8, 13), english)  # only one reading exists
    assert not guessed_order("2026-08-01", date(2026, 8, 1), english)  # ISO is never ambiguous
    assert not guessed_order("08/01/2026", date(2026, 1, 8), order)  # the language decided it


def test_a_remittance_date_that_reads_both_ways_is_not_confident():
    csv = (
        b"Payer,Pay Date,Reference,Invoice No.,Gross,Disc. Taken,Net\n"
        b"Acme Industrial Supply Inc.,03/04/2026,PAY-1,INV-1,1000.00,20.00,980.00\n"
        b"Acme Industrial Supply Inc.,03/04/2026,PAY-1,INV-2,250.00,0.00,250.00\n"
    )
    (e,) = extract_document(csv, filename="remit.csv", media_type="text/csv")
    assert e.confidence["remittance.payment_date"] == GUESSED_DATE  # so a discount is never judged on it
    assert [(i.invoice_number, i.discount) for i in e.remittance.items] == [("INV-1", D("20.00")), ("INV-2", D("0"))]
    dated = csv.replace(b"03/04/2026", b"03/24/2026")
    (e,) = extract_document(dated, filename="remit.csv", media_type="text/csv")
    assert e.remittance.payment_date == date(2026, 3, 24) and e.confidence["remittance.payment_date"] > 0.9


def _mail(html: str) -> bytes:
    return (
        "From: Ann <ann@acme.example>\r\nTo: orders@northwind.example\r\nSubject: Re\r\n"
        "Date: Mon, 16 Mar 2026 09:12:00 -0400\r\nMIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n"
        "\r\n" + html
    ).encode()


def test_a_dutch_order_body_without_a_title_is_an_order():
    html = (
        "<div>Bestelnummer: 2025-8802</div><div>Datum: 2026-08-30</div><div>Leverdatum: 2026-09-20</div>"
        "<table><tr><th>Artikelcode</th><th>Omschrijving</th><th>Aantal</th><th>Stukprijs</th><th>Bedrag</th></tr>"
        "<tr><td>BRG-6204</td><td>Kogellager</td><td>4</td><td>1.479,94</td><td>5.919,76</td></tr>"
        "<tr><td>BLT-M8</td><td>Bout</td><td>5</td><td>1.515,04</td><td>7.575,20</td></tr></table>"
        "<div>Totaalbedrag: 13.494,96 €</div><div>Acme Industrial Supply Inc.</div>"
    )
    (e,) = extract_document(_mail(html), filename="po.eml")
    assert e.document_type == "purchase_order"
    assert [(ln.sku, ln.quantity, ln.amount) for ln in e.order.lines] == [
        ("BRG-6204", D("4"), D("5919.76")),
        ("BLT-M8", D("5"), D("7575.20")),
    ]


def test_a_total_labelled_with_an_order_word_does_not_make_an_advice_body_an_order():
    html = (
        "<div>Pagatore: Acme Industrial Supply Inc.</div><div>Data pagamento: 24.09.2026</div>"
        "<div>Riferimento pagamento: 7982188</div><div>Importo pagato: €1.250,00</div>"
        "<table><tr><th>N. fattura</th><th>Data fattura</th><th>Pagato</th></tr>"
        "<tr><td>INV-090001</td><td>10.09.2026</td><td>1.000,00</td></tr>"
        "<tr><td>INV-090002</td><td>03.09.2026</td><td>250,00</td></tr></table>"
        "<div>Totale ordine: €1.250,00</div>"
    )
    (e,) = extract_document(_mail(html), filename="advice.eml")
    assert e.document_type == "remittance_advice"
    assert e.remittance.amount == D("1250.00") and e.remittance.payment_date == date(2026, 9, 24)
    assert [i.invoice_number for i in e.remittance.items] == ["INV-090001", "INV-090002"]
