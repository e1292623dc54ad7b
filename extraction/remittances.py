"""Remittance advices: payer, payment date/reference/method/amount and the invoices paid, checked against the total."""

from __future__ import annotations

import re
from decimal import Decimal

from o2c.core.money import parse_amount
from o2c.extraction.evidence import Evidence
from o2c.extraction.fields import (
    TOTALS,
    amount_in,
    code_text,
    currency_words,
    decide_decimal_comma,
    first_token,
    letterhead,
    read_totals,
    reference_hit,
    section_lines,
    signature_company,
)
from o2c.extraction.grounding import Grounding
from o2c.extraction.layout import Line, find_labelled
from o2c.extraction.lexicon import label_set
from o2c.extraction.linecells import REPAIRED_CONFIDENCE, looks_code, one_digit_misreads, repair_sum
from o2c.extraction.nlp import find_entities
from o2c.extraction.normalize import (
    GUESSED_DATE,
    clean_text,
    decide_date_order,
    detect_currency,
    find_dates,
    guessed_order,
    parse_date,
)
from o2c.extraction.pages import Word
from o2c.extraction.schema import ExtractedRemittance, RemittanceItem
from o2c.extraction.tables import IGNORED, read_table

REMITTANCE_LABELS = label_set("remittance")
ITEM_COLUMNS = label_set("item_columns")
_TWO_COLUMN_TABLES = frozenset({frozenset({"invoice_number", "amount_paid"})})
_METHODS = (
    ("ach", "ACH"),
    ("wire", "Wire"),
    ("sepa", "SEPA"),
    ("cheque", "Cheque"),
    ("check", "Check"),
    ("eft", "EFT"),
    ("überweisung", "Überweisung"),
    ("bank transfer", "Bank transfer"),
    ("credit card", "Card"),
)
_REFERENCE = re.compile(
    r"(?i)\b(?:reference|ref\.?|trace|check|cheque|confirmation|transaction)\s*"
    r"(?:no\.?|number|#|id)?\s*[:#]?\s*(?P<ref>[A-Z0-9][A-Z0-9\-/]{3,})"
)
_AFTER_REF = re.compile(r"^\s*(?:[:(=\-–]|for|of)?\s*(?P<amt>(?:[$€£]|USD|EUR|GBP)?\s*\d[\d.,]*\d)(?![\d/.\-])")


def extract_remittance(
    lines: list[Line], evidence: Evidence, *, free_text: str | None = None, grounding: Grounding | None = None
) -> ExtractedRemittance:
    """An ExtractedRemittance from laid-out lines (free_text, for email bodies, adds prose rules)."""
    text = section_lines(lines)
    dates = decide_date_order(text)
    decimal_comma = decide_decimal_comma(text)
    remittance = ExtractedRemittance()
    table = read_table(
        lines, ITEM_COLUMNS, TOTALS, required={"invoice_number"}, decimal_comma=decimal_comma, pairs=_TWO_COLUMN_TABLES
    )
    consumed = table.line_ids if table else set()
    hits = find_labelled(lines, REMITTANCE_LABELS, skip=consumed)

    if free_text is not None:
        company = signature_company(free_text)
        if company:
            remittance.payer_name = company[0]
            evidence.record_span("remittance.payer_name", 0.75, company[1], company[2], company[0])
    elif "payer_name" in hits:
        hit = hits["payer_name"][0]
        remittance.payer_name = clean_text(hit.text)
        evidence.record("remittance.payer_name", 0.88, hit.words, page=hit.page)
    else:
        head = letterhead(lines, REMITTANCE_LABELS, stop_fields={"payee"})
        if head:
            remittance.payer_name = head.text
            evidence.record("remittance.payer_name", 0.8, head.words, page=head.page)
    if remittance.payer_name and grounding is not None:
        remittance.payer_name = grounding.spelling_of(remittance.payer_name) or remittance.payer_name
    if not remittance.payer_name and grounding is not None and grounding.customer_names:
        found = grounding.name_in_lines(lines)  # no payer block or signature: a known customer printed names it
        if found:
            words, page = found
            remittance.payer_name = clean_text(" ".join(w.text for w in words))
            evidence.record("remittance.payer_name", 0.9, words, page=page)
    for hit in hits.get("payment_date", []):
        value = parse_date(hit.text, dates)
        if value:
            remittance.payment_date = value
            guess = guessed_order(hit.text, value, dates)  # a discount window judged on it would be a guess
            evidence.record("remittance.payment_date", GUESSED_DATE if guess else 0.95, hit.words, page=hit.page)
            break
    if "payment_reference" in hits:
        hit, digits = reference_hit(hits["payment_reference"])
        remittance.payment_reference, words = first_token(hit)
        evidence.record("remittance.payment_reference", 0.92 if digits else 0.6, words, page=hit.page)
    if "payment_method" in hits:
        hit = hits["payment_method"][0]
        remittance.payment_method = clean_text(hit.text)
        evidence.record("remittance.payment_method", 0.92, hit.words, page=hit.page)
    code: re.Match[str] | str | None  # the printed code, else the one detected in the text
    for hit in hits.get("currency", []):
        code = re.search(r"\b[A-Z]{3}\b", hit.text)
        if code:
            remittance.currency = code.group(0)
            evidence.record("remittance.currency", 0.97, hit.words, page=hit.page)
            break
    if not remittance.currency:
        code, conf = detect_currency(text)
        if code:
            remittance.currency = code
            words, page = currency_words(lines, code)
            evidence.record("remittance.currency", conf, words or None, page=page)
    printed = _read_amount(remittance, hits, lines, consumed, decimal_comma, evidence)
    if table:
        _read_items(remittance, table, decimal_comma, evidence)
    if free_text is not None:
        _read_prose(remittance, free_text, evidence, dates)
    _check_consistency(remittance, evidence, printed)
    if remittance.amount is None:
        evidence.missing("remittance.amount", "no payment amount found")
    if not remittance.items:
        evidence.missing("remittance.items", "no paid invoices found")
    return remittance


def _read_amount(remittance, hits, lines, consumed, decimal_comma, evidence) -> list[Decimal]:
    """The payment amount (the labelled one, else the total line); returns the other printings of it read."""
    readings: list[tuple[Decimal, list[Word], int]] = []
    for hit in hits.get("amount", []):
        value, words = amount_in(hit.words, decimal_comma)
        if value is not None:
            readings.append((value, words, hit.page))
    totals = read_totals(lines, consumed, decimal_comma)
    if "total" in totals:
        value, hit = totals["total"]
        readings.append((value, hit.words, hit.page))
    if not readings:
        return []
    value, words, page = readings[0]
    remittance.amount = value
    evidence.record("remittance.amount", 0.93, words, page=page)
    return [r[0] for r in readings[1:]]


def _read_items(remittance: ExtractedRemittance, table, decimal_comma, evidence: Evidence) -> None:
    numbered = _line_numbered(table.rows)
    for row in table.rows:
        words = row.cells.get("invoice_number")
        if not words:
            continue
        if numbered:  # a line-number column glued to the invoice column: the number comes first
            words = words[1:] or [w for w in row.cells.get(IGNORED, []) if looks_code(w.text)][:1]
            if not words:
                continue
        i = len(remittance.items)
        path = f"remittance.items[{i}]"
        item = RemittanceItem(invoice_number=code_text(words[0].text))
        evidence.record(f"{path}.invoice_number", 0.92, words[:1], page=row.page)
        for name in ("amount_paid", "discount", "invoice_amount"):
            value, cell = amount_in(row.cells.get(name, []), decimal_comma)
            if value is not None:
                setattr(item, name, value)
                evidence.record(f"{path}.{name}", 0.9, cell, page=row.page)
        po_words = row.cells.get("po_number")
        if po_words:
            item.po_number = code_text(po_words[0].text)
            evidence.record(f"{path}.po_number", 0.88, po_words[:1], page=row.page)
        remittance.items.append(item)


def _line_numbered(rows) -> bool:
    """True when the invoice cells start 1, 2, 3, ...: a line-number column read into them."""
    firsts = [row.cells["invoice_number"][0].text.rstrip(".") for row in rows if row.cells.get("invoice_number")]
    return (
        len(firsts) >= 1
        and firsts == [str(k) for k in range(1, len(firsts) + 1)]
        and any(len(row.cells.get("invoice_number", [])) > 1 or row.cells.get(IGNORED) for row in rows)
    )


def _read_prose(remittance: ExtractedRemittance, text: str, evidence: Evidence, dates) -> None:
    """Payment facts written as a sentence: 'ACH payment of $12,345.67 for INV-1001 and INV-1002'."""
    decimal_comma = decide_decimal_comma(text)
    entities = find_entities(text)
    if remittance.payment_method is None:
        lowered = text.lower()
        for key, name in _METHODS:
            m = re.search(rf"\b{re.escape(key)}\b", lowered)
            if m:
                remittance.payment_method = name
                evidence.record_span("remittance.payment_method", 0.85, m.start(), m.end(), text[m.start() : m.end()])
                break
    if remittance.amount is None:
        money = [e for e in entities if e.label == "MONEY"]
        if money:
            first = money[0]
            remittance.amount = parse_amount(first.text, decimal_comma)
            evidence.record_span("remittance.amount", 0.92, first.start, first.end, first.text)
            if remittance.currency is None:
                code, conf = detect_currency(first.text)
                remittance.currency = code
                if code:
                    evidence.record_span("remittance.currency", conf, first.start, first.end, first.text)
    if remittance.payment_date is None:
        found = find_dates(text, dates)
        if found:
            value, start, end = found[0]
            remittance.payment_date = value
            guess = guessed_order(text[start:end], value, dates)
            evidence.record_span(
                "remittance.payment_date", GUESSED_DATE if guess else 0.92, start, end, text[start:end]
            )
    if remittance.payment_reference is None:
        m = _REFERENCE.search(text)
        if m and not re.fullmatch(r"(?i)(INV|RE)[-#]?\d.*", m.group("ref")):
            remittance.payment_reference = m.group("ref")
            evidence.record_span("remittance.payment_reference", 0.8, m.start("ref"), m.end("ref"), m.group("ref"))
    if remittance.items:
        return
    for entity in entities:
        if entity.label != "INVOICE_REF":
            continue
        ref = re.search(r"[A-Za-z]{0,6}[-/#]?\d[\w\-/.]*$", entity.text)
        if not ref:
            continue
        number = ref.group(0).lstrip("#").rstrip(".")
        known = [k for k, it in enumerate(remittance.items) if it.invoice_number == number]
        if known:
            i, item = known[0], remittance.items[known[0]]
        else:
            i = len(remittance.items)
            item = RemittanceItem(invoice_number=number)
            start = entity.start + ref.start()
            evidence.record_span(f"remittance.items[{i}].invoice_number", 0.92, start, start + len(number), number)
            remittance.items.append(item)
        path = f"remittance.items[{i}]"
        after = _AFTER_REF.match(text[entity.end : entity.end + 40])
        if after and item.amount_paid is None:
            item.amount_paid = parse_amount(after.group("amt"), decimal_comma)
            s, e = entity.end + after.start("amt"), entity.end + after.end("amt")
            evidence.record_span(f"{path}.amount_paid", 0.8, s, e, after.group("amt"))
    if len(remittance.items) == 1 and remittance.items[0].amount_paid is None and remittance.amount is not None:
        remittance.items[0].amount_paid = remittance.amount
        evidence.record("remittance.items[0].amount_paid", 0.8)


def _check_consistency(
    remittance: ExtractedRemittance, evidence: Evidence, printed: list[Decimal] | None = None
) -> None:
    """Items' paid amounts summing to the payment amount confirm both; invoice - discount = paid confirms a row.

    printed: the payment amount's other printings read (a total line under the table), evidence for a repair."""
    vouched: set[int] = set()  # rows whose invoice - discount = paid held
    contradicted = False  # a row that prints a discount and pays something else than invoice - discount
    for i, item in enumerate(remittance.items):
        if item.invoice_amount is not None and item.amount_paid is not None:
            if item.invoice_amount - (item.discount or 0) == item.amount_paid:
                vouched.add(i)
                evidence.raise_to(f"remittance.items[{i}].", 0.97)
            else:
                evidence.warnings.append(
                    f"item {i + 1}: {item.invoice_amount} - {item.discount or 0} != paid {item.amount_paid}"
                )
                evidence.adjust(f"remittance.items[{i}].", 0.6)
                contradicted = contradicted or _contradicts_discount(item)
    paid = [it.amount_paid for it in remittance.items]
    if remittance.amount is None or not paid or any(p is None for p in paid):
        return
    total = sum((p for p in paid if p is not None), Decimal("0"))
    mended = _repair_ocr_sum(remittance, evidence, frozenset(vouched), printed or [])
    if mended:
        total = sum((it.amount_paid or Decimal("0") for it in remittance.items), Decimal("0"))
    if mended:  # a mended paid amount may have made its row agree with its discount
        contradicted = any(_contradicts_discount(it) for it in remittance.items)
    if total == remittance.amount and contradicted:
        # the same misread twice (a scan's 9,159.52 read as 52 for the item and the payment) also sums: a sum that
        # agrees vouches for nothing when a row disagrees with its own discount
        evidence.adjust("remittance.amount", 0.6)
    elif total == remittance.amount:
        for i, item in enumerate(remittance.items):
            # the sum vouches for every paid amount; for a scanned row's invoice amount and discount only where
            # its own arithmetic held (a misread invoice amount beside a right payment still sums; a text layer's
            # row that pays less than its invoice is a short payment, read as printed)
            path = f"remittance.items[{i}]"
            ocr_read = evidence.provenance.get(path + ".invoice_amount", {}).get("ocr")
            if i in vouched or item.invoice_amount is None or not ocr_read:
                evidence.raise_to(path + ".", 0.99)
            else:
                evidence.raise_to(path + ".amount_paid", 0.99)
                evidence.raise_to(path + ".invoice_number", 0.99)
        evidence.raise_to("remittance.amount", 0.99)
        for path, cap in mended.items():
            evidence.adjust(path, cap)
    else:
        evidence.adjust("remittance.items[", 0.55)
        evidence.adjust("remittance.amount", 0.6)
        evidence.warnings.append(f"paid items sum to {total}, payment amount is {remittance.amount}")


def _contradicts_discount(item: RemittanceItem) -> bool:
    """A row that prints its invoice amount and a discount, yet pays something else than their difference."""
    if item.invoice_amount is None or item.amount_paid is None or not item.discount:
        return False
    return item.invoice_amount - item.discount != item.amount_paid


def _repair_ocr_sum(
    remittance: ExtractedRemittance, evidence: Evidence, vouched: frozenset[int], printed: list[Decimal]
) -> dict[str, float]:
    """Mend an OCR'd payment amount (or one paid amount) whose one misread digit keeps the items from summing to it.

    As for an order's rows (linecells.repair_row): the repair is made only where exactly one number's one-digit
    misread makes the sum hold (linecells.repair_sum); a text layer's numbers are never mended. The mended amount
    is vouched for where every item's own row (invoice - discount = paid) held or the amount is printed a second
    time as mended; a mended paid amount where its own row then holds. Returns the mended paths with the
    confidence they keep (1.0: vouched for, the sum's own confidence stands)."""
    paths = ["remittance.amount", *(f"remittance.items[{i}].amount_paid" for i in range(len(remittance.items)))]
    if remittance.amount is None or not all(evidence.provenance.get(p, {}).get("ocr") for p in paths):
        return {}
    paid = [it.amount_paid for it in remittance.items]
    if any(p is None for p in paid):
        return {}
    parts = [p for p in paid if p is not None]
    read_sum = sum(parts, Decimal("0"))
    if read_sum in printed and read_sum in one_digit_misreads(remittance.amount):
        fix: tuple[int, Decimal] | None = (-1, read_sum)  # printed twice: the other printing and the sum agree
    else:
        fix = repair_sum(remittance.amount, parts, vouched)
    if fix is None:
        return {}
    k, value = fix
    if k < 0:
        evidence.warnings.append(f"payment amount read {remittance.amount}, taken as {value} (one OCR digit)")
        remittance.amount = value
        confirmed = value in printed or len(vouched) == len(parts)
        return {"remittance.amount": 1.0 if confirmed else REPAIRED_CONFIDENCE}
    item = remittance.items[k]
    evidence.warnings.append(f"item {k + 1}: paid read {item.amount_paid}, taken as {value} (one OCR digit)")
    item.amount_paid = value
    confirmed = item.invoice_amount is not None and item.invoice_amount - (item.discount or 0) == value
    return {f"remittance.items[{k}].amount_paid": 1.0 if confirmed else REPAIRED_CONFIDENCE}
