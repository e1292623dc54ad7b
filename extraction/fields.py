"""Shared reading helpers for orders and remittances: letterheads, totals rows, currencies, amounts in cells."""

from __future__ import annotations

import re
from decimal import Decimal

from o2c.core.money import parse_amount
from o2c.extraction.layout import Hit, LabelSet, Line
from o2c.extraction.lexicon import labels, title_pattern
from o2c.extraction.pages import Word

# a document's title (any language the lexicon knows) is no letterhead: 'BON DE COMMANDE' names nobody
_TITLES = [t for kind in ("purchase_order", "remittance_advice") for t in labels("titles")[kind]]
_TITLE = re.compile(
    rf"(?i)^({title_pattern('purchase_order')}|{title_pattern('remittance_advice')}|page\s+\d|seite\s+\d|order)\b"
)
_SQUEEZED_TITLE = re.compile(
    r"(?i)^(purchaseorder|bestellung|remittanceadvice|paymentadvice|zahlungsavis|"
    r"paymentnotification|remittance|order)"
)
_SQUEEZED_TITLES = frozenset(re.sub(r"\W+", "", t.casefold()) for t in _TITLES)
_LETTERHEAD_SPLIT = re.compile(r"\s+[|·•]\s+")

TOTAL_LABELS = labels("totals")
TOTALS = LabelSet(TOTAL_LABELS)


# 1.234,50 and 1,234.50 not inside a longer number: a digit first, then the look back at what precedes it
# ('(?<![\d.,])\d' spelled '\d(?<![\d.,]\d)', so the scan can skip ahead to the next digit)
_COMMA_AMOUNT = re.compile(r"\d(?<![\d.,]\d)\d{0,2}(?:\.\d{3})*,\d{2}(?![\d,])")
_DOT_AMOUNT = re.compile(r"\d(?<![\d.,]\d)\d{0,2}(?:,\d{3})*\.\d{2}(?![\d.])")


def decide_decimal_comma(text: str) -> bool | None:
    """True when the document writes amounts as 1.234,50; False for 1,234.50; None when it cannot tell."""
    comma = len(_COMMA_AMOUNT.findall(text))
    dot = len(_DOT_AMOUNT.findall(text))
    if comma == dot:
        return None
    return comma > dot


_LAST_GROUP_CENTS = re.compile(r"\d{1,3}(?:,\d{3})+,\d{2}|\d{1,3}(?:\.\d{3})+\.\d{2}")


def amount_in(words: list[Word], decimal_comma: bool | None) -> tuple[Decimal | None, list[Word]]:
    """The amount printed in a cell (the whole cell, else its rightmost amount-like word)."""
    if not words:
        return None, []
    value = parse_amount(" ".join(w.text for w in words), decimal_comma)
    if value is None and len(words) == 1 and re.fullmatch(r"\d{1,3}[.,]\d{2}", words[0].text):
        value = parse_amount(words[0].text.replace(",", "."))  # '139,20' in a 1,234.50 document: OCR misread
    if value is None and len(words) == 1 and _LAST_GROUP_CENTS.fullmatch(words[0].text):
        # '1,043,82' for 1,043.82: the decimal point read as the grouping sign; the cents are two digits, no group
        text = words[0].text
        value = parse_amount(text[:-3].replace(",", "").replace(".", "") + "." + text[-2:])
    if value is not None:
        return value, words
    for word in reversed(words):
        if re.search(r"\d", word.text):
            value = parse_amount(word.text, decimal_comma)
            if value is not None:
                return value, [word]
    return None, []


# a total prints cents or a currency mark: '400 Harbor Blvd' after 'Shipping & Receiving' is an address
_MONEY_WORD = re.compile(r"\d[.,]\d{2}\b|^[$€£¥]\s?\d|\d\s?[$€£¥]$")


def read_totals(lines: list[Line], skip: set[int], decimal_comma: bool | None) -> dict[str, tuple[Decimal, Hit]]:
    """Subtotal, tax, freight and total rows: a label at the start of a segment, the line's rightmost amount."""
    found: dict[str, tuple[Decimal, Hit]] = {}
    for line in lines:
        if id(line) in skip:
            continue
        for si, segment in enumerate(line.segments):
            hit = TOTALS.match_at(segment, 0)
            if not hit:
                continue
            tail = [w for seg in line.segments[si:] for w in seg][hit[1] :]
            # a total prints cents: '400 Harbor Blvd' after 'Shipping & Receiving' is an address, not freight
            value, words = amount_in([w for w in tail if _MONEY_WORD.search(w.text)][-1:], decimal_comma)
            if value is None or not words:
                continue
            if re.fullmatch(r"\d{1,2}([.,]\d+)?%?\)?", words[0].text) and "%" in line.text and len(tail) < 2:
                continue  # 'VAT 19%' with no amount
            found[hit[0]] = (value, Hit(hit[0], words[0].text, words, line.page, hit[2]))
            break
    return found


def letterhead(lines: list[Line], labels: LabelSet, *, stop_fields: set[str]) -> Hit | None:
    """The issuer's name at the top of page 1: the first segment that is no title, label, page number, or value
    printed under a label on the line above ('Date' over 'April 16, 2026') or right of one on its own line."""
    above: list[tuple[float, float]] = []  # where the previous line's labels sit
    for line in lines[:8]:
        if line.page != lines[0].page:
            break
        labelled: list[tuple[float, float]] = []
        value_of_label = False  # the segment right of a label is its value ('Issue Date:   October 26, 2026')
        for segment in line.segments:
            found = labels.match_at(segment, 0)
            if found and found[0] in stop_fields:
                return None
            if found:
                labelled.append((segment[0].x0, segment[-1].x1))
            right_of_label, value_of_label = value_of_label, found is not None and found[1] == len(segment)
            text = " ".join(w.text for w in segment)
            # OCR spaces out big title letters ('PU RCH A SE ORDER'): compare titles without spaces
            squeezed = re.sub(r"\s+", "", text)
            if (
                found
                or _TITLE.match(text)
                or _SQUEEZED_TITLE.match(squeezed)
                or re.sub(r"\W+", "", squeezed.casefold()) in _SQUEEZED_TITLES
                or not re.search(r"[A-Za-zÄÖÜäöü]{2}", text)
                or ":" in text
                or any(x0 < segment[-1].x1 and segment[0].x0 < x1 for x0, x1 in above)
                or right_of_label
            ):
                continue
            name = _LETTERHEAD_SPLIT.split(text)[0].strip()
            words = segment[: max(1, len(name.split()))]
            return Hit("letterhead", name, words, line.page)
        above = labelled
    return None


def code_text(text: str) -> str:
    """A printed code without the punctuation after it ('PO-07403.': a speck, or a sentence's full stop)."""
    return text.strip(",;").rstrip(".,;:'`’") or text


def reference_hit(hits: list[Hit]) -> tuple[Hit, bool]:
    """The first labelled value holding a digit (a PO number, a payment reference), else the first; and whether
    it holds one (a reference without a digit is a label word more likely than a reference)."""
    for hit in hits:
        if re.search(r"\d", hit.text):
            return hit, True
    return hits[0], False


def first_token(hit: Hit) -> tuple[str, list[Word]]:
    """A reference number: the first word of the value that holds a digit (else the first word)."""
    for word in hit.words:
        if re.search(r"\d", word.text):
            return code_text(word.text), [word]
    return code_text(hit.words[0].text), hit.words[:1]


def section_lines(lines: list[Line]) -> str:
    """All lines' text, one per line (for classification, dates and currency)."""
    return "\n".join(line.text for line in lines)


_COMPANY = re.compile(
    r"(?i)\b(inc|inc\.|llc|ltd|ltd\.|gmbh|ag|corp|corp\.|co\.|company|corporation|s\.a\.|plc|kg|"
    r"limited|group|industries)\s*$"
)
_TERMS = re.compile(
    r"(?i)\b(net\s+\d{1,3}(?:\s+days)?|\d{1,2}\s*/\s*\d{1,2}\s+net\s+\d{1,3}|due\s+on\s+receipt|"
    r"\d{1,3}\s+tage\s+netto|sofort\s+netto)\b"
)


def signature_company(text: str) -> tuple[str, int, int] | None:
    """The company named in an email's sign-off ('Purchasing, Acme Manufacturing Inc.'), with its span."""
    lines = text.rstrip().splitlines()
    offset = len(text.rstrip()) - sum(len(x) + 1 for x in lines) + 1
    spans = []
    for line in lines:
        spans.append((offset, line))
        offset += len(line) + 1
    for start, line in reversed(spans[-8:]):
        name = line.split(",")[-1].strip()
        if _COMPANY.search(name) and len(name) < 80:
            begin = start + line.rfind(name)
            return name, begin, begin + len(name)
    return None


def payment_terms_in(text: str) -> tuple[str, int, int] | None:
    """Payment terms written in prose ('Terms as usual (Net 30)' -> 'Net 30')."""
    m = _TERMS.search(text)
    return (m.group(0), m.start(), m.end()) if m else None


_CURRENCY_MARKS = {
    "USD": ("USD", "$", "US$"),
    "EUR": ("EUR", "€"),
    "GBP": ("GBP", "£"),
    "CHF": ("CHF",),
    "CAD": ("CAD", "C$"),
    "AUD": ("AUD", "A$"),
    "JPY": ("JPY", "¥"),
}


def currency_words(lines: list[Line], code: str) -> tuple[list[Word], int | None]:
    """The first word that shows a currency (its code or symbol), so a currency read from text has a source."""
    marks = _CURRENCY_MARKS.get(code, (code,))
    for line in lines:
        for word in line.words:
            if word.text.strip("():,") in marks or any(m in word.text for m in marks if not m.isalpha()):
                return [word], line.page
    return [], None
