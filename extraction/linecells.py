"""Line cells read from their content as well as their header: codes apart from line numbers and words, prices
found by qty x price = amount, and SKUs grounded in master data.

Column headers the reader does not know, a line-number column printed tight against the SKU, or a SKU printed
in the same cell as its description all leave a row's cells mixed. These rules sort them by what the text looks
like, and arithmetic picks between candidates; master data (extraction.grounding) confirms a code.
"""

from __future__ import annotations

import re
from decimal import Decimal

from o2c.core.money import parse_amount, quantize
from o2c.extraction.grounding import Grounding
from o2c.extraction.pages import Word

_LINE_NUMBER = re.compile(r"\d{1,3}\.?")
_UOM = re.compile(
    r"(?i)(ea|each|pc|pcs|pce|pk|pkt|pack|bx|box|cs|case|set|kg|g|m|mm|cm|l|ltr|rl|roll|pr|pair|dz|doz|"
    r"st|stk|stück|unit|units|ctn|bag|ft|in|lb|lbs|gal|hr|h)\.?"
)


def looks_code(text: str) -> bool:
    """A part number: letters and digits (at least one digit), dashes or slashes, no lower-case word."""
    t = text.strip(",;:")
    if len(t) < 3 or not re.search(r"\d", t) or re.search(r"[a-z]{2,}", t):
        return False
    if re.fullmatch(r"\d{1,3}([.,]\d{3})*([.,]\d{1,4})?", t):
        return False  # a number, not a code
    return bool(re.fullmatch(r"[A-Z0-9][A-Za-z0-9\-_/.#]*[A-Za-z0-9]", t))


def looks_uom(text: str) -> bool:
    """A unit of measure ('EA', 'pcs', 'Box')."""
    return bool(_UOM.fullmatch(text.strip(",;:")))


def split_code_cell(words: list[Word], grounding: Grounding | None) -> tuple[list[Word], list[Word]]:
    """(code words, description words) of a SKU cell; a leading line number is dropped.

    '1 PK-70359' -> PK-70359; 'MM4-4010 Micro-Motor' -> MM4-4010 + 'Micro-Motor'. A known code wins wherever
    it stands in the cell; otherwise the first code-looking word is the code.
    """
    if len(words) < 2:
        return words, []
    if grounding is not None:
        for known in (grounding.known_sku, grounding.known_code):  # our SKU before a customer's part number
            for n in (2, 1):  # a code printed with a space ('PK 70359') before a single word
                for i in range(len(words) - n + 1):
                    if known("".join(w.text for w in words[i : i + n])):
                        return words[i : i + n], words[i + n :]
    start = 1 if _LINE_NUMBER.fullmatch(words[0].text) and looks_code(words[1].text) else 0
    rest = words[start:]
    if len(rest) >= 2 and looks_code(rest[0].text) and any(re.search(r"[a-z]{2}", w.text) for w in rest[1:]):
        return rest[:1], rest[1:]
    return rest, []


def code_in_words(words: list[Word], grounding: Grounding | None) -> int | None:
    """The index of the word that is one of our SKUs (else None): a SKU printed inside another column."""
    if grounding is None:
        return None
    for i, w in enumerate(words):
        if grounding.known_sku(w.text):
            return i
    return None


def numbers_in(words: list[Word], decimal_comma: bool | None) -> list[tuple[Decimal, Word]]:
    """Every word of a row that reads as a number."""
    found = []
    for w in words:
        value = parse_amount(w.text, decimal_comma)
        if value is not None:
            found.append((value, w))
    return found


def agrees(
    quantity: Decimal | None, price: Decimal | None, amount: Decimal | None, *, per: Decimal = Decimal(1)
) -> bool:
    """qty x price (per price unit) = amount, to the cent."""
    if quantity is None or price is None or amount is None or per == 0:
        return False
    return abs(quantize(quantity * price / per) - amount) <= Decimal("0.01")


def factor_from_row(
    known: Decimal, amount: Decimal, candidates: list[tuple[Decimal, Word]]
) -> tuple[Decimal, Word] | None:
    """The printed number f with known x f = amount (the price, or the quantity, a lost column held), else None."""
    for value, word in candidates:
        if value not in (known, amount) and value > 0 and agrees(known, value, amount):
            return value, word
    return None
