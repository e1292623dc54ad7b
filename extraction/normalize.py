"""Normalising what a document prints: dates (day/month order decided once per document), currencies."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from o2c.extraction.fields import decide_decimal_comma
from o2c.extraction.lexicon import in_order, label_languages

_MONTHS = {
    "jan": 1,
    "january": 1,
    "januar": 1,
    "jän": 1,
    "feb": 2,
    "february": 2,
    "februar": 2,
    "mar": 3,
    "march": 3,
    "mär": 3,
    "märz": 3,
    "maerz": 3,
    "apr": 4,
    "april": 4,
    "may": 5,
    "mai": 5,
    "jun": 6,
    "june": 6,
    "juni": 6,
    "jul": 7,
    "july": 7,
    "juli": 7,
    "aug": 8,
    "august": 8,
    "sep": 9,
    "sept": 9,
    "september": 9,
    "oct": 10,
    "october": 10,
    "okt": 10,
    "oktober": 10,
    "nov": 11,
    "november": 11,
    "dec": 12,
    "december": 12,
    "dez": 12,
    "dezember": 12,
}
_MONTH_WORD = "|".join(sorted(_MONTHS, key=len, reverse=True))

ISO_DATE = re.compile(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b")
NUMERIC_DATE = re.compile(r"\b(\d{1,2})([./-])(\d{1,2})\2(\d{4}|\d{2})\b")
MONTH_FIRST_DATE = re.compile(rf"(?i)\b({_MONTH_WORD})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+(\d{{4}})\b")
DAY_FIRST_DATE = re.compile(rf"(?i)\b(\d{{1,2}})(?:st|nd|rd|th)?\.?\s+({_MONTH_WORD})\.?,?\s+(\d{{4}})\b")
DATE_PATTERNS = (ISO_DATE, NUMERIC_DATE, MONTH_FIRST_DATE, DAY_FIRST_DATE)

_GERMAN_WORDS = [
    "bestellung",
    "bestellnummer",
    "datum",
    "menge",
    "einzelpreis",
    "gesamt",
    "betrag",
    "zahlungsbedingungen",
    "rechnung",
    "lieferadresse",
    "liefertermin",
    "mwst",
    "ust",
    "zahlungsavis",
    "summe",
    "netto",
    "brutto",
    "artikel",
    "bezeichnung",
]
_GERMAN_HINTS = re.compile(r"(?i)\b(" + in_order(_GERMAN_WORDS, gap=r"\s+") + r")\b")


GUESSED_DATE = 0.7  # the confidence of a date whose day/month order nothing in the document decided


@dataclass(frozen=True)
class DateOrder:
    """How this document orders numeric dates: day first (14.03.2026) or month first (03/14/2026)."""

    day_first: bool
    decided_by: str  # "unambiguous date" | "locale" (the writer's language or format) | "currency" | "default"


def decide_date_order(text: str) -> DateOrder:
    """Decide day/month order for a whole document from unambiguous dates first, then locale hints."""
    votes_day = votes_month = 0
    for m in NUMERIC_DATE.finditer(text):
        a, b = int(m.group(1)), int(m.group(3))
        if a > 12 >= b:
            votes_day += 1
        elif b > 12 >= a:
            votes_month += 1
    if votes_day != votes_month:
        return DateOrder(votes_day > votes_month, "unambiguous date")
    dotted = sum(1 for m in NUMERIC_DATE.finditer(text) if m.group(2) == ".")
    if _GERMAN_HINTS.search(text) or dotted:
        return DateOrder(True, "locale")
    # labels in a language of day-first countries (every lexicon language but English), or amounts written
    # 1.234,56: a continental document writes 08/01/2026 for the 8th of January
    languages = label_languages(text)
    foreign = sum(n for lang, n in languages.items() if lang != "en")
    if foreign > languages.get("en", 0) or decide_decimal_comma(text):
        return DateOrder(True, "locale")
    if re.search(r"£|\bGBP\b|€|\bEUR\b", text):
        # the currency is the deal's, not the writer's habit (a US buyer pays in pounds too): day first is
        # likelier, but a date that reads both ways stays a guess (guessed_order)
        return DateOrder(True, "currency")
    return DateOrder(False, "default")


def parse_date(text: str | None, order: DateOrder | None = None) -> date | None:
    """The first date printed in text, read with the document's day/month order; None if there is none."""
    if not text:
        return None
    day_first = order.day_first if order else False
    found: list[tuple[int, date]] = []
    for pattern in DATE_PATTERNS:
        for m in pattern.finditer(text):
            value = _to_date(pattern, m, day_first)
            if value:
                found.append((m.start(), value))
                break
    return min(found)[1] if found else None


_GUESSES = ("default", "currency")  # decisions that leave a date reading both ways a guess


def guessed_order(text: str | None, value: date | None, order: DateOrder) -> bool:
    """True when value was read from a numeric date that reads both ways ('08/01/2026') and nothing in the
    document decided which (the default order, or only the currency): a guess, not a reading."""
    if value is None or order.decided_by not in _GUESSES or value.day > 12 or value.day == value.month:
        return False
    return any(
        ISO_DATE.match(text or "", m.start()) is None and int(m.group(1)) <= 12 and int(m.group(3)) <= 12
        for m in NUMERIC_DATE.finditer(text or "")
    )


def find_dates(text: str, order: DateOrder | None = None) -> list[tuple[date, int, int]]:
    """Every date in text with its character span, in reading order."""
    day_first = order.day_first if order else False
    hits: dict[int, tuple[date, int, int]] = {}
    for pattern in DATE_PATTERNS:
        for m in pattern.finditer(text):
            value = _to_date(pattern, m, day_first)
            if value and not any(s <= m.start() < e for _, s, e in hits.values()):
                hits[m.start()] = (value, m.start(), m.end())
    return [hits[k] for k in sorted(hits)]


def _to_date(pattern: re.Pattern, m: re.Match, day_first: bool) -> date | None:
    try:
        if pattern is ISO_DATE:
            return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        if pattern is NUMERIC_DATE:
            a, b, year = int(m.group(1)), int(m.group(3)), int(m.group(4))
            year = year + 2000 if year < 100 else year
            if a > 12:
                return date(year, b, a)
            if b > 12:
                return date(year, a, b)
            return date(year, b, a) if day_first else date(year, a, b)
        if pattern is MONTH_FIRST_DATE:
            return date(int(m.group(3)), _MONTHS[m.group(1).lower()], int(m.group(2)))
        return date(int(m.group(3)), _MONTHS[m.group(2).lower()], int(m.group(1)))
    except (ValueError, KeyError):
        return None


_CODES = (
    "USD",
    "EUR",
    "GBP",
    "CHF",
    "CAD",
    "AUD",
    "JPY",
    "CNY",
    "SEK",
    "NOK",
    "DKK",
    "PLN",
    "CZK",
    "INR",
    "MXN",
    "NZD",
    "SGD",
    "HKD",
    "ZAR",
    "PHP",
    "BRL",
)
_CODE_RE = re.compile(r"\b(" + "|".join(_CODES) + r")\b")
_SYMBOLS = (
    ("CA$", "CAD"),
    ("C$", "CAD"),
    ("A$", "AUD"),
    ("AU$", "AUD"),
    ("US$", "USD"),
    ("€", "EUR"),
    ("£", "GBP"),
    ("¥", "JPY"),
    ("₹", "INR"),
    ("₱", "PHP"),
    ("$", "USD"),
)


def detect_currency(text: str) -> tuple[str | None, float]:
    """The document's currency and a confidence: explicit ISO codes win over symbols ($ -> USD, € -> EUR)."""
    codes = [m.group(1) for m in _CODE_RE.finditer(text)]
    if codes:
        top = max(set(codes), key=codes.count)
        return top, 0.97 if len(set(codes)) == 1 else 0.8
    for symbol, code in _SYMBOLS:
        if symbol in text:
            return code, 0.9 if symbol != "$" else 0.85
    return None, 0.0


def clean_text(value: str | None) -> str | None:
    """Collapse whitespace and strip separators left over from a label ('PO #: 123' -> '123')."""
    if value is None:
        return None
    value = "\n".join(re.sub(r"[ \t]+", " ", part).strip(" :#\t-–") for part in value.split("\n"))
    value = value.strip()
    return value or None
