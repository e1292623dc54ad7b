"""Purchase orders: labelled header fields, the line table, totals, and a self-consistency check."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from o2c.core.money import parse_amount, quantize
from o2c.extraction.arithrows import read_rows_by_arithmetic
from o2c.extraction.evidence import Evidence
from o2c.extraction.fields import (
    TOTALS,
    amount_in,
    currency_words,
    decide_decimal_comma,
    first_token,
    letterhead,
    read_totals,
    reference_hit,
    section_lines,
)
from o2c.extraction.grounding import Grounding, code_key
from o2c.extraction.layout import Hit, Line, find_labelled, read_block
from o2c.extraction.lexicon import label_set
from o2c.extraction.linecells import (
    agrees,
    looks_code,
    looks_uom,
    split_quantity,
)
from o2c.extraction.normalize import (
    GUESSED_DATE,
    DateOrder,
    clean_text,
    decide_date_order,
    detect_currency,
    guessed_order,
    parse_date,
)
from o2c.extraction.order_cells import (
    quantity_cell_in_description,
    recover_by_arithmetic,
    set_aside_line_numbers,
    sort_code_cells,
    unglue_codes,
)
from o2c.extraction.pages import Word
from o2c.extraction.prose import read_prose_header, read_sentences
from o2c.extraction.rowrepair import DERIVED_PRICE_CONFIDENCE, repair_ocr_rows
from o2c.extraction.schema import ExtractedOrder, OrderLine
from o2c.extraction.tables import IGNORED, read_table

ORDER_LABELS = label_set("order")
LINE_COLUMNS = label_set("line_columns")
_BLOCK_STOPS = {"vendor", "ship_to", "bill_to"}


def extract_order(
    lines: list[Line],
    evidence: Evidence,
    *,
    free_text: str | None = None,
    sent_on: date | None = None,
    grounding: Grounding | None = None,
) -> ExtractedOrder:
    """An ExtractedOrder from laid-out lines (free_text, when the source is an email body, adds sentence rules)."""
    text = section_lines(lines)
    dates = decide_date_order(text)
    decimal_comma = decide_decimal_comma(text)
    order = ExtractedOrder()
    table = _line_table(lines, decimal_comma)
    consumed = table.line_ids if table else set()
    hits = find_labelled(lines, ORDER_LABELS, skip=consumed)

    if "po_number" in hits:
        hit, digits = reference_hit(hits["po_number"])
        order.po_number, words = first_token(hit)
        evidence.record("order.po_number", 0.95 if digits else 0.6, words, page=hit.page)
    value: date | Decimal | None  # a date here, an amount in the totals below
    guessed: dict[str, str] = {}  # field -> the printed date whose day and month could be either way round
    for name in ("order_date", "requested_delivery_date"):
        for hit in hits.get(name, []):
            value = parse_date(hit.text, dates)
            if value:
                setattr(order, name, value)
                guess = guessed_order(hit.text, value, dates)  # day and month could be either way round
                evidence.record(f"order.{name}", GUESSED_DATE if guess else 0.95, hit.words, page=hit.page)
                if guess:
                    guessed[name] = hit.text
                break
    if guessed:
        _order_dates_by_sequence(order, guessed, dates, evidence)
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
    _read_lines(order, table, evidence, decimal_comma, grounding)
    row_mends: dict[str, float] = {}
    if not order.lines and free_text is None:
        row_mends = read_rows_by_arithmetic(order, lines, consumed, evidence, decimal_comma, grounding)
    totals = read_totals(lines, consumed, decimal_comma)
    for name in ("subtotal", "tax", "total"):
        if name in totals:
            value, hit = totals[name]
            setattr(order, name, value)
            evidence.record(f"order.{name}", 0.93, hit.words, page=hit.page)
    if free_text is not None:
        read_sentences(order, free_text, evidence)
        read_prose_header(order, free_text, evidence, sent_on)
    if free_text is not None and not order.lines:
        read_rows_by_arithmetic(order, lines, consumed, evidence, decimal_comma, grounding)
    _ground_buyer(order, lines, evidence, grounding)
    freight = totals.get("freight", (None,))[0]
    repaired = repair_ocr_rows(order, evidence, freight) | row_mends
    if not _check_consistency(order, freight, evidence):
        for path, cap in repaired.items():  # no document total vouched for the mended rows
            evidence.adjust(path, cap)
    for path in [p for p in repaired if p in evidence.derived]:
        evidence.adjust(path, DERIVED_PRICE_CONFIDENCE)
    _ground_skus(order, evidence, grounding)
    for i in range(len(order.lines)):  # sums check a row's numbers, never the letters of its description
        path = f"order.lines[{i}].description"
        if evidence.provenance.get(path, {}).get("ocr"):
            evidence.adjust(path, OCR_DESCRIPTION_CONFIDENCE)
    if not order.po_number:
        evidence.missing("order.po_number", "no PO number found")
    if not order.lines:
        evidence.missing("order.lines", "no order lines found")
    return order


# a known customer's part number read where our SKU belongs: its letters are master data's, but the SKU it stands
# for is not printed (often our SKU's own cell was misread beside it), so it stays under the posting threshold
PART_NUMBER_CONFIDENCE = 0.85
SEQUENCED_DATE = 0.9  # the day/month order only 'delivery is not before the order' decided


def _order_dates_by_sequence(order: ExtractedOrder, guessed: dict[str, str], dates, evidence: Evidence) -> None:
    """Dates that read both ways, decided by the one order in which delivery does not come before the order date
    (01/05 and 02/04: 1 May and 2 April cannot both hold). Both orders possible: they stay guesses."""
    readings = {}
    for day_first in (dates.day_first, not dates.day_first):
        way = DateOrder(day_first, dates.decided_by)
        got = {
            n: parse_date(guessed[n], way) if n in guessed else getattr(order, n)
            for n in ("order_date", "requested_delivery_date")
        }
        if got["order_date"] and got["requested_delivery_date"]:
            readings[day_first] = got if got["order_date"] <= got["requested_delivery_date"] else None
    if len(readings) == 2 and sum(r is not None for r in readings.values()) == 1:
        chosen = next(r for r in readings.values() if r is not None)
        for name in guessed:
            setattr(order, name, chosen[name])
            evidence.adjust(f"order.{name}", SEQUENCED_DATE, floor=True)


def _line_table(lines: list[Line], decimal_comma: bool | None):
    return read_table(lines, LINE_COLUMNS, TOTALS, required={"quantity"}, decimal_comma=decimal_comma)


def _read_currency(order: ExtractedOrder, hits, text: str, evidence: Evidence, lines: list[Line]) -> None:
    code: re.Match[str] | str | None  # the printed code, else the one detected in the text
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
    bill_to = evidence.provenance.get("order.bill_to", {}).get("bbox")
    if first and head is None and order.bill_to and bill_to and first.bbox[1] > bill_to[3]:
        first = None  # named below the buyer's block ('Authorized by: Purchasing'): a signer, not the company
    if first and (head is None or first.bbox[1] < head.bbox[1]) and re.search(r"[A-Za-zÄÖÜäöü]{2}", first.text):
        order.buyer_name = clean_text(first.text)
        evidence.record("order.buyer_name", 0.8, first.words, page=first.page)
    elif head:
        order.buyer_name = head.text
        evidence.record("order.buyer_name", 0.8, head.words, page=head.page)
    elif order.bill_to:
        order.buyer_name = order.bill_to.split("\n")[0].strip()
        evidence.record("order.buyer_name", 0.7)


def _read_lines(
    order: ExtractedOrder, table, evidence: Evidence, decimal_comma: bool | None, grounding: Grounding | None = None
) -> None:
    if not table:
        return
    names = table.names  # a repeated header read partly (a skewed scan) must not change what 'Item' means
    item_as = IGNORED if {"sku", "description"} <= names else ("sku" if "description" in names else "description")
    set_aside_line_numbers(table.rows)
    for row in table.rows:
        for name, words in row.cells.items():
            row.cells[name] = unglue_codes(words, grounding)
        if "item" in row.cells:
            row.cells.setdefault(item_as, []).extend(row.cells.pop("item"))
        sort_code_cells(row, names, grounding)
        i = len(order.lines)
        line = OrderLine()
        path = f"order.lines[{i}]"
        for name in ("sku", "description", "uom"):
            words = row.cells.get(name)
            if words:
                setattr(line, name, clean_text(" ".join(w.text for w in words)))
                evidence.record(f"{path}.{name}", 0.9, words, page=row.page)
        used: list[Word] = []
        qty_words = row.cells.get("quantity", [])
        if qty_words:
            qty_text, unit = split_quantity(qty_words[0].text)
            qty = parse_amount(qty_text, decimal_comma)
            if qty is not None:
                line.quantity = qty
                used.append(qty_words[0])
                evidence.record(f"{path}.quantity", 0.9, qty_words[:1], page=row.page)
                if unit and not line.uom:
                    line.uom = unit
                    evidence.record(f"{path}.uom", 0.85, qty_words[:1], page=row.page)
            if len(qty_words) > 1 and not line.uom and re.fullmatch(r"[A-Za-z]{1,5}\.?", qty_words[1].text):
                line.uom = qty_words[1].text
                evidence.record(f"{path}.uom", 0.85, qty_words[1:2], page=row.page)
        uom_words = row.cells.get("uom", [])
        if line.quantity is None and len(uom_words) == 1:
            qty_text, unit = split_quantity(uom_words[0].text)  # '8M': the quantity printed into the unit cell
            qty = parse_amount(qty_text, decimal_comma) if unit else None
            if qty is not None and unit:
                line.quantity, line.uom = qty, unit
                used.append(uom_words[0])
                evidence.record(f"{path}.quantity", 0.85, uom_words, page=row.page)
                evidence.record(f"{path}.uom", 0.85, uom_words, page=row.page)
        for name in ("unit_price", "net_unit_price", "amount"):
            cell = [w for w in row.cells.get(name, []) if "%" not in w.text]  # a rate is never money
            value, words = amount_in(cell, decimal_comma)
            if value is not None:
                target = "unit_price" if name == "net_unit_price" else name
                setattr(line, target, value)
                used.extend(words)
                evidence.record(f"{path}.{target}", 0.9, words, page=row.page)
        price_words = row.cells.get("unit_price", [])
        if not line.uom and len(price_words) >= 2 and looks_uom(price_words[0].text) and line.quantity is not None:
            line.uom = price_words[0].text.strip(".,")  # '4 PC | 332,20' under a squeezed header: the quantity's unit
            evidence.record(f"{path}.uom", 0.85, price_words[:1], page=row.page)
        basis, _ = amount_in(row.cells.get("price_basis", []), decimal_comma)
        if line.unit_price is not None and basis and basis != 1:
            # a unit price is for one unit, as in the structured readers; 20.00 per 2 is 10.00, 10.00 per 3 stays exact
            per_unit = line.unit_price / basis
            exact = per_unit.quantize(line.unit_price)
            line.unit_price = exact if exact == per_unit else per_unit
        quantity_from_cell = line.quantity is not None
        recover_by_arithmetic(line, row, used, path, evidence, decimal_comma)
        if not quantity_from_cell:
            quantity_cell_in_description(line, row, path, evidence, decimal_comma)
        if line.sku and row.page in evidence.page_sources and evidence.page_sources[row.page] == "ocr":
            line.sku = line.sku.rstrip(".,;:'")  # specks after a part number read as punctuation
        if not line.sku and line.description and "sku" not in names:
            first, _, rest = line.description.partition(" ")
            if rest and re.fullmatch(r"[A-Z0-9]+[-/.][A-Z0-9\-/.]+|[A-Z]{2,}\d{2,}", first):
                line.sku, line.description = first, rest
        order.lines.append(line)


def _ground_skus(order: ExtractedOrder, evidence: Evidence, grounding: Grounding | None) -> None:
    """Master data is independent evidence for a code: a known SKU is confirmed, an unknown one is not; an
    OCR-folded match (BRG-62O4 for BRG-6204) is taken only where the row's arithmetic agrees."""
    if grounding is None or grounding.empty:
        for i, line in enumerate(order.lines):  # unconfirmed: only a clean single code keeps its confidence
            if line.sku and not looks_code(line.sku):
                evidence.adjust(f"order.lines[{i}].sku", 0.8)
        return
    for i, line in enumerate(order.lines):
        path = f"order.lines[{i}].sku"
        if not line.sku or path not in evidence.confidence:
            continue
        known = grounding.known_code(line.sku)
        if known:
            ocr_read = bool(evidence.provenance.get(path, {}).get("ocr"))
            line.sku = (
                known
                if code_key(known) == code_key(line.sku)
                and known != line.sku
                and (ocr_read or not any(c.islower() for c in line.sku))  # OCR confuses 'v' and 'V'
                else line.sku
            )
            if grounding.known_sku(line.sku):
                evidence.confidence[path] = max(evidence.confidence[path], 0.97)
            else:  # a customer's part number: our SKU only through master data's cross-reference for this
                # customer, which matching checks against the line's price (matching.price_evidence)
                evidence.confidence[path] = PART_NUMBER_CONFIDENCE
            continue
        folded = grounding.folded_code(line.sku)
        if folded and agrees(line.quantity, line.unit_price, line.amount):
            evidence.warnings.append(f"line {i + 1}: SKU {line.sku!r} read as {folded!r} (OCR look-alikes)")
            line.sku = folded
            evidence.confidence[path] = min(max(evidence.confidence[path], 0.9), 0.93)
        else:  # unknown to master data: matching says unknown_product; arithmetic never vouched for the letters
            evidence.confidence[path] = min(evidence.confidence[path], 0.9)


def _weak_name(name: str) -> bool:
    """Initials or a stray token ('MM', 'J.O.'), not a company name."""
    return len(re.findall(r"[^\W\d_]", name)) < 4 or not re.search(r"[^\W\d_]{3}", name)


def _ground_buyer(order: ExtractedOrder, lines: list[Line], evidence: Evidence, grounding: Grounding | None) -> None:
    """A known customer name printed on the document names the buyer (before letterheads and sign-offs)."""
    if grounding is None or not grounding.customer_names:
        return
    if order.buyer_name and grounding.find_name(order.buyer_name):
        order.buyer_name = grounding.spelling_of(order.buyer_name) or order.buyer_name
        evidence.adjust("order.buyer_name", 0.95, floor=True)
        return
    if order.buyer_name and not _weak_name(order.buyer_name):
        return  # a name printed as the buyer stays, known or not: an unknown buyer is for review, not a guess
    found = grounding.name_in_lines(lines)
    if found:
        words, page = found
        order.buyer_name = clean_text(" ".join(w.text for w in words))
        evidence.record("order.buyer_name", 0.95, words, page=page)


# an OCR'd description: no arithmetic or master data vouches for its letters (Grounding knows no catalogue text)
OCR_DESCRIPTION_CONFIDENCE = 0.85


def _check_consistency(order: ExtractedOrder, freight: Decimal | None, evidence: Evidence) -> bool:
    """qty x price = amount per line and lines summing to the subtotal (or total) confirm each other.

    Returns True when the lines' amounts sum to what the document says."""
    lines_ok = True
    checked: set[int] = set()  # rows whose qty x price = amount held: a matching sum vouches for all their cells
    for i, line in enumerate(order.lines):
        path = f"order.lines[{i}]"
        if f"{path}.amount" in evidence.derived:
            checked.add(i)  # qty x price computed: a matching sum confirms that product, so both its factors
        if any(f"{path}.{n}" in evidence.derived for n in ("amount", "unit_price", "quantity")):
            continue  # one cell was computed from the others: the row agreeing with itself proves nothing
        if line.quantity is not None and line.unit_price is not None and line.amount is not None:
            if abs(quantize(line.quantity * line.unit_price) - line.amount) <= Decimal("0.01"):
                checked.add(i)
                evidence.raise_to(path + ".", 0.97)
            else:
                lines_ok = False
                evidence.adjust(path + ".", 0.55)
                evidence.warnings.append(f"line {i + 1}: {line.quantity} x {line.unit_price} != {line.amount}")
        elif line.amount is None:
            evidence.adjust(path + ".", 0.8)
    amounts = [ln.amount for ln in order.lines]
    if not order.lines or any(a is None for a in amounts):
        return False
    lines_sum = sum((a for a in amounts if a is not None), Decimal("0"))
    expected = order.subtotal
    if expected is None and order.total is not None:
        expected = order.total - (order.tax or 0) - (freight or 0)
    if expected is None:
        return False
    if lines_sum == expected:
        for i in range(len(order.lines) if lines_ok else 0):
            # the sum vouches for every amount; for a row's other cells only where its own arithmetic held
            evidence.raise_to(f"order.lines[{i}]." if i in checked else f"order.lines[{i}].amount", 0.99)
        evidence.raise_to("order.subtotal", 0.99)
        if order.total is not None and order.total == lines_sum + (order.tax or 0) + (freight or 0):
            evidence.raise_to("order.total", 0.99)
            evidence.raise_to("order.tax", 0.98)
        return True
    else:
        evidence.adjust("order.lines[", 0.55)
        evidence.adjust("order.subtotal", 0.55)
        evidence.adjust("order.total", 0.6)
        evidence.warnings.append(f"order lines sum to {lines_sum}, document says {expected}")
    return False
