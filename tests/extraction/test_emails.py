"""Emails: bodies parsed as free text, attachments (nested messages too), broken encodings, limits."""

from __future__ import annotations

from decimal import Decimal
from email.message import EmailMessage

from o2c.extraction.service import ExtractionLimits, extract_document


def _message(body: str, *, sender: str = "Dana <dana@acme.example>") -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "orders@northwind.example"
    msg["Subject"] = "order"
    msg["Date"] = "Mon, 16 Mar 2026 10:05:00 -0400"
    msg.set_content(body)
    return msg


def test_remittance_in_body_with_spans():
    body = (
        "We sent an ACH payment of $12,345.67 for INV-1001 and INV-1002.\n\nINV-1001  $10,000.00\n"
        "INV-1002  $2,345.67\n\nRegards,\nAcme Manufacturing Inc.\n"
    )
    [e] = extract_document(_message(body).as_bytes(), filename="remit.eml")
    r = e.remittance
    assert (e.document_type, e.source, e.sender, e.channel) == (
        "remittance_advice",
        "remit.eml#body",
        "dana@acme.example",
        "email",
    )
    assert r.amount == Decimal("12345.67") and r.payment_method == "ACH" and r.currency == "USD"
    assert [(i.invoice_number, i.amount_paid) for i in r.items] == [
        ("INV-1001", Decimal("10000.00")),
        ("INV-1002", Decimal("2345.67")),
    ]
    where = e.provenance["remittance.amount"]
    text = _message(body).get_content()
    assert where["part"] == "body" and text[where["span"][0] : where["span"][1]] == "$12,345.67"


def test_forwarded_message_with_pdf_attachment_and_cover_note(pdf):
    po = pdf(
        [
            [
                (50, 50, "PURCHASE ORDER"),
                (50, 70, "PO Number: 9911"),
                (50, 140, "Qty"),
                (100, 140, "Item"),
                (450, 140, "Amount"),
                (50, 156, "1"),
                (100, 156, "Widget"),
                (450, 156, "5.00"),
            ]
        ]
    )
    inner = _message("Please find our order attached.", sender="buyer@acme.example")
    inner.add_attachment(po, maintype="application", subtype="pdf", filename="PO-9911.pdf")
    outer = _message("FYI, forwarding the order below.", sender="sales@northwind.example")
    outer.add_attachment(inner)
    results = extract_document(outer.as_bytes(), filename="fwd.eml")
    orders = [e for e in results if e.document_type == "purchase_order"]
    assert len(orders) == 1
    assert orders[0].source.startswith("fwd.eml#") and orders[0].source.endswith("PO-9911.pdf")
    assert orders[0].order.po_number == "9911"
    assert orders[0].sender == "buyer@acme.example"
    assert orders[0].provenance["order.po_number"]["part"].endswith("PO-9911.pdf")


def test_non_business_body_is_other_and_empty_body_is_skipped():
    [e] = extract_document(
        _message("Lunch on Friday? The usual place near the office at noon works.").as_bytes(), filename="chat.eml"
    )
    assert e.document_type == "other"
    assert extract_document(_message("\n").as_bytes(), filename="blank.eml") == []


def test_unknown_charset_is_tolerated():
    raw = (
        b"From: a@b.example\r\nSubject: x\r\nContent-Type: text/plain; charset=x-unknown-42\r\n\r\n"
        b"Please ship PO 4411: 3 x BRG-6204 at 4.10 \xe9\xff\r\n"
    )
    [e] = extract_document(raw, filename="odd.eml")
    assert e.document_type == "purchase_order" and e.order.lines[0].quantity == Decimal("3")


def test_unreadable_attachment_becomes_other_not_an_error():
    msg = _message("See attached.")
    msg.add_attachment(b"%PDF-1.4 broken", maintype="application", subtype="pdf", filename="broken.pdf")
    [e] = extract_document(msg.as_bytes(), filename="m.eml")
    assert e.document_type == "other" and "corrupt" in e.warnings[0]


def test_nesting_deeper_than_the_limit_is_skipped_with_a_warning():
    msg = _message("Please ship PO 1: 2 x BRG-6204 at 4.10")
    for _ in range(3):
        outer = _message("Forwarded.")
        outer.add_attachment(msg)
        msg = outer
    results = extract_document(msg.as_bytes(), filename="deep.eml", limits=ExtractionLimits(max_email_depth=2))
    assert all(e.document_type != "purchase_order" for e in results)
    assert any("nested deeper" in w for e in results for w in e.warnings) or results == []
