"""Orders written as prose in an e-mail body: 'Please ship 10 x BRG-6204 at 4.10', the sign-off, terms, the date."""

from __future__ import annotations

import re
from datetime import date

from o2c.core.money import parse_amount, quantize
from o2c.extraction.evidence import Evidence
from o2c.extraction.fields import decide_decimal_comma, payment_terms_in, signature_company
from o2c.extraction.nlp import find_entities
from o2c.extraction.normalize import clean_text
from o2c.extraction.schema import ExtractedOrder, OrderLine

# 'Please ship PO 45821: 10 x BRG-6204 at 4.10' and friends
SENTENCE_LINE = re.compile(
    r"(?i)(?P<qty>\d+(?:[.,]\d+)?)\s*(?:x|×|pcs\.?|units?|ea\.?|of|stk\.?|stück)\s+(?:of\s+)?"
    r"(?P<sku>[A-Z0-9][A-Z0-9\-_/.]*\d[A-Z0-9\-_/]*)(?:\s*\((?P<desc>[^)]{1,80})\))?"
    r"(?:\s+(?:at|@|for|à|zu(?:\s+je)?)\s*(?P<price>(?:[$€£]|USD|EUR|GBP)?\s*\d[\d.,]*)(?:\s*(?:each|ea|/ea|per\s+unit|je))?)?"
)


def read_sentences(order: ExtractedOrder, text: str, evidence: Evidence) -> None:
    """Order facts written as prose in an email body."""
    if not order.po_number:
        for entity in find_entities(text):
            if entity.label == "PO_REF":
                ref = re.search(r"[A-Za-z]{0,6}[-#]?\d[\w\-/]*$", entity.text)
                if ref:
                    start = entity.start + ref.start()
                    # spaCy splits '1006-27577' at the hyphen: read the whole reference from the text itself
                    whole = re.match(r"[A-Za-z]{0,6}[-#]?\d[\w\-/]*(?<![-/])", text[start:])
                    end = start + whole.end() if whole else entity.end
                    order.po_number = text[start:end].lstrip("#")
                    evidence.record_span("order.po_number", 0.92, start, end, order.po_number)
                    break
    if order.lines:
        return
    decimal_comma = decide_decimal_comma(text)
    for m in SENTENCE_LINE.finditer(text):
        if order.po_number and m.group("sku") == order.po_number:
            continue
        i = len(order.lines)
        path = f"order.lines[{i}]"
        line = OrderLine(
            sku=m.group("sku"),
            quantity=parse_amount(m.group("qty"), decimal_comma),
            description=clean_text(m.group("desc")),
        )
        evidence.record_span(f"{path}.quantity", 0.85, m.start("qty"), m.end("qty"), m.group("qty"))
        evidence.record_span(f"{path}.sku", 0.85, m.start("sku"), m.end("sku"), m.group("sku"))
        if m.group("desc"):
            evidence.record_span(f"{path}.description", 0.8, m.start("desc"), m.end("desc"), m.group("desc"))
        if m.group("price"):
            line.unit_price = parse_amount(m.group("price"), decimal_comma)
            evidence.record_span(f"{path}.unit_price", 0.85, m.start("price"), m.end("price"), m.group("price"))
            if line.quantity is not None and line.unit_price is not None:
                # prose orders print no line amount; the extended price is arithmetic, not a guess
                line.amount = quantize(line.quantity * line.unit_price)
                evidence.record(f"{path}.amount", 0.85)
                evidence.derived.add(f"{path}.amount")  # computed from qty x price: it cannot confirm them
                evidence.provenance[f"{path}.amount"] = {
                    "part": evidence.part or "body",
                    "span": [m.start(), m.end()],
                    "text": m.group(0),
                }
        order.lines.append(line)


def read_prose_header(order: ExtractedOrder, text: str, evidence: Evidence, sent_on: date | None) -> None:
    """Buyer from the sign-off, terms from prose, and the email's date as the order date when none is printed."""
    if not order.buyer_name:
        company = signature_company(text)
        if company:
            order.buyer_name = company[0]
            evidence.record_span("order.buyer_name", 0.75, company[1], company[2], company[0])
    if not order.payment_terms:
        terms = payment_terms_in(text)
        if terms:
            order.payment_terms = terms[0]
            evidence.record_span("order.payment_terms", 0.8, terms[1], terms[2], terms[0])
    if not order.order_date and sent_on:
        order.order_date = sent_on
        evidence.record("order.order_date", 0.92)
        evidence.provenance["order.order_date"] = {"part": "header", "text": f"Date: {sent_on.isoformat()}"}
