"""Purchase orders: labelled header fields, the line table, totals, and a self-consistency check."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from core.money import parse_amount, quantize
from extraction.evidence import Evidence
from extraction.fields import (
    TOTALS,
    amount_in,
    currency_words,
    decide_decimal_comma,
    first_token,
    letterhead,
    payment_terms_in,
    read_totals,
    section_lines,
    signature_company,
)
from extraction.layout import Hit, LabelSet, Line, find_labelled, read_block
from extraction.nlp import find_entities
from extraction.normalize import clean_text, decide_date_order, detect_currency, parse_date
from extraction.schema import ExtractedOrder, OrderLine
from extraction.tables import IGNORED, read_table

ORDER_LABELS = LabelSet({
    "po_number": ["PO #", "PO No.", "PO Number", "PO Nr.", "Purchase Order No.", "Purchase Order Number",
                  "Purchase Order #", "Order Number", "Order No.", "Order #", "P.O. Number", "P.O. No.", "P.O. #",
                  "Purchase Order ID", "PO ID", "Bestellnummer", "Bestell-Nr.", "Bestellnr.",
                  "Bestellung Nr.", "Auftragsnummer", "Auftrags-Nr."],
    "order_date": ["Date", "Order Date", "PO Date", "Datum", "Bestelldatum", "Issue Date", "Date Issued",
                   "Order Date:"],
    "requested_delivery_date": ["Delivery Date", "Required By", "Required Date", "Need By", "Needed By",
                                "Requested Delivery", "Requested Delivery Date", "Deliver By", "Ship Date",
                                "Liefertermin", "Lieferdatum", "Wunschtermin"],
    "payment_terms": ["Terms", "Payment Terms", "Terms of Payment", "Zahlungsbedingungen", "Zahlungsziel"],
    "customer_id": ["Customer No.", "Customer Number", "Customer #", "Customer ID", "Account No.", "Account #",
                    "Kundennummer", "Kunden-Nr.", "Kundennr.", "Ihre Kundennummer"],
    "currency": ["Currency", "Währung"],
    "ship_to": ["Ship To", "Ship-To", "Deliver To", "Delivery Address", "Lieferadresse", "Lieferanschrift",
                "Versandadresse"],
    "bill_to": ["Bill To", "Bill-To", "Invoice To", "Rechnungsadresse", "Rechnungsanschrift"],
    "vendor": ["Vendor", "Supplier", "Lieferant", "To", "Seller"],
    "buyer": ["Buyer", "Customer", "Sold To", "Purchaser", "Besteller", "Kunde", "Ordered By", "Authorized by",
              "Käufer", "Auftraggeber"],
})
LINE_COLUMNS = LabelSet({
    "quantity": ["Qty", "Quantity", "Qty.", "Menge", "Anzahl", "Qty Ordered", "Ordered", "Order Qty", "Ordered Qty",
                 "Requested Qty", "Requested Quantity", "Agreed Qty", "Requested Agreed Qty", "Bestellmenge"],
    "sku": ["SKU", "Item #", "Item No.", "Item Number", "Item Code", "Part No.", "Part Number", "Part #",
            "Item / Part No.", "Art.-Nr.", "Artikelnummer", "Artikel-Nr.", "Artikelnr.", "Product Code",
            "Material", "Catalog No.", "Code", "Your SKU", "Your Part No.", "Your Item No.", "Our Ref",
            "Supplier Part No.", "Vendor Part No.", "Vendor SKU", "Supplier SKU"],
    "item": ["Item", "Artikel", "Product"],
    "description": ["Description", "Item Description", "Bezeichnung", "Beschreibung", "Artikelbezeichnung",
                    "Details", "Leistung"],
    "unit_price": ["Unit Price", "Price", "Unit Cost", "Rate", "Einzelpreis", "Preis", "Price/Unit",
                   "Stückpreis", "E-Preis", "Gross Price", "Gross Unit Price", "Bruttopreis"],
    # beside a gross price (before discounts and charges) the net price is what the line costs
    "net_unit_price": ["Net Unit Price", "Net Price", "Unit Net Price", "Net Unit Cost", "Nettopreis",
                       "Netto-Einzelpreis", "Nettoeinzelpreis"],
    "amount": ["Amount", "Total", "Line Total", "Ext. Price", "Extended Price", "Ext. Amount", "Extension",
               "Gesamt", "Betrag", "Gesamtpreis", "Net Amount", "Ext", "Ext.", "Extended", "Ext. Cost",
               "Extended Cost", "Line Amount", "Net Value", "Value", "Wert", "Line Total Net", "Net Line Total",
               "Line Net Amount", "Nettobetrag", "Positionswert"],
    "uom": ["UOM", "Unit", "U/M", "Einheit", "ME", "Mengeneinheit"],
    # the price is for this many units ('Price base Qty 2,00' beside 'Net Unit Price 20,00': 10.00 a unit)
    "price_basis": ["Price base Qty", "Price Basis Qty", "Price Basis", "Base Qty", "Preiseinheit"],
    IGNORED: ["Line", "Pos.", "Pos", "#", "No.", "Nr.", "Tax", "Disc.", "Discount", "VAT", "VAT %", "MwSt", "USt",
              "Tax Rate", "Discount or Charge", "Allowances & Charges", "Line Status"],
})
_BLOCK_STOPS = {"vendor", "ship_to", "bill_to"}
# 'Please ship PO 45821: 10 x BRG-6204 at 4.10' and friends
SENTENCE_LINE = re.compile(
    r"(?i)(?P<qty>\d+(?:[.,]\d+)?)\s*(?:x|×|pcs\.?|units?|ea\.?|of|stk\.?|stück)\s+(?:of\s+)?"
    r"(?P<sku>[A-Z0-9][A-Z0-9\-_/.]*\d[A-Z0-9\-_/]*)(?:\s*\((?P<desc>[^)]{1,80})\))?"
    r"(?:\s+(?:at|@|for|à|zu(?:\s+je)?)\s*(?P<price>(?:[$€£]|USD|EUR|GBP)?\s*\d[\d.,]*)(?:\s*(?:each|ea|/ea|per\s+unit|je))?)?")


def extract_order(lines: list[Line], evidence: Evidence, *, free_text: str | None = None,
                  sent_on: date | None = None) -> ExtractedOrder:
    """An ExtractedOrder from laid-out lines (free_text, when the source is an email body, adds sentence rules)."""
    text = section_lines(lines)
    dates = decide_date_order(text)
    decimal_comma = decide_decimal_comma(text)
    order = ExtractedOrder()
    table = _line_table(lines, decimal_comma)
    consumed = table.line_ids if table else set()
    hits = find_labelled(lines, ORDER_LABELS, skip=consumed)

    if "po_number" in hits:
        hit = hits["po_number"][0]
        order.po_number, words = first_token(hit)
        evidence.record("order.po_number", 0.95 if re.search(r"\d", order.po_number) else 0.6, words,
                        page=hit.page)
    for name in ("order_date", "requested_delivery_date"):
        for hit in hits.get(name, []):
            value = parse_date(hit.text, dates)
            if value:
                setattr(order, name, value)
                evidence.record(f"order.{name}", 0.95 if dates.decided_by != "default" or value.day > 12 else 0.9,
                                hit.words, page=hit.page)
                break
    if "payment_terms" in hits:
        hit = hits["payment_terms"][0]
        order.payment_terms = clean_text(hit.text)
        evidence.record("order.payment_terms", 0.9, hit.words, page=hit.page)
    if "customer_id" in hits:
        hit = hits["customer_id"][0]
        order.customer_id, words = first_token(hit)
        evidence.record("order.customer_id", 0.93, words, page=hit.page)
    for name in ("ship_to", "bill_to"):
        block = read_block(lines, ORDER_LABELS, name)
        if block:
            setattr(order, name, clean_text(block.text))
            evidence.record(f"order.{name}", 0.88, block.words, page=block.page)
    _read_currency(order, hits, text, evidence, lines)
    if free_text is None:
        _read_buyer(order, lines, hits.get("buyer", []), evidence)
    _read_lines(order, table, evidence, decimal_comma)
    totals = read_totals(lines, consumed, decimal_comma)
    for name in ("subtotal", "tax", "total"):
        if name in totals:
            value, hit = totals[name]
            setattr(order, name, value)
            evidence.record(f"order.{name}", 0.93, hit.words, page=hit.page)
    if free_text is not None:
        _read_sentences(order, free_text, evidence)
        _read_prose_header(order, free_text, evidence, sent_on)
    _check_consistency(order, totals.get("freight", (None,))[0], evidence)
    if not order.po_number:
        evidence.missing("order.po_number", "no PO number found")
    if not order.lines:
        evidence.missing("order.lines", "no order lines found")
    return order


def _line_table(lines: list[Line], decimal_comma: bool | None):
    return read_table(lines, LINE_COLUMNS, TOTALS, required={"quantity"}, decimal_comma=decimal_comma)


def _read_currency(order: ExtractedOrder, hits, text: str, evidence: Evidence, lines: list[Line]) -> None:
    for hit in hits.get("currency", []):
        code = re.search(r"\b[A-Z]{3}\b", hit.text)
        if code:
            order.currency = code.group(0)
            evidence.record("order.currency", 0.97, hit.words, page=hit.page)
            return
    code, conf = detect_currency(text)
    if code:
        order.currency = code
        words, page = currency_words(lines, code)
        evidence.record("order.currency", conf, words or None, page=page)


def _read_buyer(order: ExtractedOrder, lines: list[Line], labelled: list[Hit], evidence: Evidence) -> None:
    """The letterhead names the buyer, unless a 'Buyer:' label comes first (the page opens with the buyer's block)."""
    head = letterhead(lines, ORDER_LABELS, stop_fields=_BLOCK_STOPS)
    first = labelled[0] if labelled and lines and labelled[0].page == lines[0].page else None
    if first and (head is None or first.bbox[1] < head.bbox[1]) and re.search(r"[A-Za-zÄÖÜäöü]{2}", first.text):
        order.buyer_name = clean_text(first.text)
        evidence.record("order.buyer_name", 0.8, first.words, page=first.page)
    elif head:
        order.buyer_name = head.text
        evidence.record("order.buyer_name", 0.8, head.words, page=head.page)
    elif order.bill_to:
        order.buyer_name = order.bill_to.split("\n")[0].strip()
        evidence.record("order.buyer_name", 0.7)


def _read_lines(order: ExtractedOrder, table, evidence: Evidence, decimal_comma: bool | None) -> None:
    if not table:
        return
    names = table.names  # a repeated header read partly (a skewed scan) must not change what 'Item' means
    item_as = IGNORED if {"sku", "description"} <= names else ("sku" if "description" in names else "description")
    for row in table.rows:
        if "item" in row.cells:
            row.cells.setdefault(item_as, []).extend(row.cells.pop("item"))
        i = len(order.lines)
        line = OrderLine()
        path = f"order.lines[{i}]"
        for name in ("sku", "description", "uom"):
            words = row.cells.get(name)
            if words:
                setattr(line, name, clean_text(" ".join(w.text for w in words)))
                evidence.record(f"{path}.{name}", 0.9, words, page=row.page)
        qty_words = row.cells.get("quantity", [])
        if qty_words:
            qty = parse_amount(qty_words[0].text, decimal_comma)
            if qty is not None:
                line.quantity = qty
                evidence.record(f"{path}.quantity", 0.9, qty_words[:1], page=row.page)
            if len(qty_words) > 1 and not line.uom and re.fullmatch(r"[A-Za-z]{1,5}\.?", qty_words[1].text):
                line.uom = qty_words[1].text
                evidence.record(f"{path}.uom", 0.85, qty_words[1:2], page=row.page)
        for name in ("unit_price", "net_unit_price", "amount"):
            value, words = amount_in(row.cells.get(name, []), decimal_comma)
            if value is not None:
                target = "unit_price" if name == "net_unit_price" else name
                setattr(line, target, value)
                evidence.record(f"{path}.{target}", 0.9, words, page=row.page)
        basis, _ = amount_in(row.cells.get("price_basis", []), decimal_comma)
        if line.unit_price is not None and basis and basis != 1:
            # a unit price is for one unit, as in the structured readers; 20.00 per 2 is 10.00, 10.00 per 3 stays exact
            per_unit = line.unit_price / basis
            exact = per_unit.quantize(line.unit_price)
            line.unit_price = exact if exact == per_unit else per_unit
        if line.sku and row.page in evidence.page_sources and evidence.page_sources[row.page] == "ocr":
            line.sku = line.sku.rstrip(".,;:'")  # specks after a part number read as punctuation
        if not line.sku and line.description and "sku" not in names:
            first, _, rest = line.description.partition(" ")
            if rest and re.fullmatch(r"[A-Z0-9]+[-/.][A-Z0-9\-/.]+|[A-Z]{2,}\d{2,}", first):
                line.sku, line.description = first, rest
        order.lines.append(line)


def _read_sentences(order: ExtractedOrder, text: str, evidence: Evidence) -> None:
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
        line = OrderLine(sku=m.group("sku"), quantity=parse_amount(m.group("qty"), decimal_comma),
                         description=clean_text(m.group("desc")))
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
                evidence.provenance[f"{path}.amount"] = {"part": evidence.part or "body",
                                                         "span": [m.start(), m.end()], "text": m.group(0)}
        order.lines.append(line)


def _read_prose_header(order: ExtractedOrder, text: str, evidence: Evidence, sent_on: date | None) -> None:
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


def _check_consistency(order: ExtractedOrder, freight: Decimal | None, evidence: Evidence) -> None:
    """qty x price = amount per line and lines summing to the subtotal (or total) confirm each other."""
    lines_ok = True
    for i, line in enumerate(order.lines):
        path = f"order.lines[{i}]"
        if line.quantity is not None and line.unit_price is not None and line.amount is not None:
            if abs(quantize(line.quantity * line.unit_price) - line.amount) <= Decimal("0.01"):
                evidence.raise_to(path + ".", 0.97)
            else:
                lines_ok = False
                evidence.adjust(path + ".", 0.55)
                evidence.warnings.append(f"line {i + 1}: {line.quantity} x {line.unit_price} != {line.amount}")
        elif line.amount is None:
            evidence.adjust(path + ".", 0.8)
    amounts = [ln.amount for ln in order.lines]
    if not order.lines or any(a is None for a in amounts):
        return
    lines_sum = sum(amounts, Decimal("0"))
    expected = order.subtotal
    if expected is None and order.total is not None:
        expected = order.total - (order.tax or 0) - (freight or 0)
    if expected is None:
        return
    if lines_sum == expected:
        if lines_ok:
            evidence.raise_to("order.lines[", 0.99)
        evidence.raise_to("order.subtotal", 0.99)
        if order.total is not None and order.total == lines_sum + (order.tax or 0) + (freight or 0):
            evidence.raise_to("order.total", 0.99)
            evidence.raise_to("order.tax", 0.98)
    else:
        evidence.adjust("order.lines[", 0.55)
        evidence.adjust("order.subtotal", 0.55)
        evidence.adjust("order.total", 0.6)
        evidence.warnings.append(f"order lines sum to {lines_sum}, document says {expected}")
