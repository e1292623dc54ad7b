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


REPAIRED_CONFIDENCE = 0.85  # a one-digit OCR repair that only the arithmetic it mends vouches for


def one_digit_misreads(value: Decimal) -> set[Decimal]:
    """What a printed number may have been if OCR got one digit of it wrong: one digit changed, dropped or added.

    '70055.52' may have been '10055.52'; '1688.80' may have been '51688.80' (a digit lost); the decimal places
    stay as printed. Numbers with a leading zero ('051688.80') are no printed number and are left out."""
    text = format(value, "f")
    sign, text = ("-", text[1:]) if text.startswith("-") else ("", text)
    spellings: set[str] = set()
    for i, char in enumerate(text):
        if char.isdigit():
            spellings.update(text[:i] + d + text[i + 1 :] for d in "0123456789" if d != char)
            spellings.add(text[:i] + text[i + 1 :])
    point = text.find(".") if "." in text else len(text)
    for i in range(point + 1):
        spellings.update(text[:i] + d + text[i:] for d in "0123456789")
    out = set()
    for s in spellings:
        if not s or s.startswith(".") or (len(s) > 1 and s[0] == "0" and s[1] != "."):
            continue
        out.add(Decimal(sign + s))
    out.discard(value)
    return out


def lost_points(value: Decimal) -> set[Decimal]:
    """What a printed whole number may have been if OCR lost its decimal point ('211328' for 2113.28) or read
    it as a digit ('1573537' for 1573.37): two decimal places, as money prints. Empty for a number that printed
    a decimal part or has fewer than four digits."""
    text = format(value, "f")
    if "." in text or text.startswith("-") or len(text) < 4:
        return set()
    return {Decimal(text[:-2] + "." + text[-2:]), Decimal(text[:-3] + "." + text[-2:])}


def row_repairs(quantity: Decimal, price: Decimal, amount: Decimal) -> set[tuple[str, Decimal]]:
    """Every (field, value) by which one cell's one-digit misread (see one_digit_misreads), or a price's or an
    amount's lost decimal point (lost_points), makes qty x price = amount; empty when the row agrees already."""
    if agrees(quantity, price, amount):
        return set()
    fits: set[tuple[str, Decimal]] = set()
    for name in ("quantity", "unit_price", "amount"):
        cells = {"quantity": quantity, "unit_price": price, "amount": amount}
        misreads = one_digit_misreads(cells[name])
        if name != "quantity":
            misreads |= lost_points(cells[name])
        for candidate in misreads:
            if candidate <= 0:
                continue
            cells[name] = candidate
            if agrees(cells["quantity"], cells["unit_price"], cells["amount"]):
                fits.add((name, candidate))
    return fits


def repair_row(quantity: Decimal, price: Decimal, amount: Decimal) -> tuple[str, Decimal] | None:
    """The one cell of a row whose misread (see row_repairs) makes qty x price = amount.

    Returns (field, value), or None when the row agrees already, nothing fits, or more than one repair fits:
    a repair is taken only when the two other cells, read independently, leave exactly one way to mend it."""
    fits = row_repairs(quantity, price, amount)
    return next(iter(fits)) if len(fits) == 1 else None


def repair_sum(
    total: Decimal, parts: list[Decimal], vouched: frozenset[int] = frozenset()
) -> tuple[int, Decimal] | None:
    """The one number of 'parts sum to total' whose one-digit misread (see one_digit_misreads) makes it hold.

    Returns (index, value), index -1 for the total, else the part's; None when the sum holds already, nothing
    fits, or more than one repair fits (as in repair_row: the other numbers, read independently, must leave
    exactly one way to mend it). Parts in vouched are confirmed by arithmetic of their own and never mended."""
    read_sum = sum(parts, Decimal("0"))
    if read_sum == total:
        return None
    fits: list[tuple[int, Decimal]] = []
    if read_sum > 0 and read_sum in one_digit_misreads(total):
        fits.append((-1, read_sum))
    for k, part in enumerate(parts):
        needed = total - (read_sum - part)
        if k not in vouched and needed > 0 and needed in one_digit_misreads(part):
            fits.append((k, needed))
        if len(fits) > 1:
            return None
    return fits[0] if fits else None


def price_from_amount(quantity: Decimal, amount: Decimal, read: str | None) -> Decimal | None:
    """amount / quantity as the unit price when the price cell was read as a fragment of it ('75' for 557.75), or
    with glyphs in place of some of its digits ('T6T.42' for 161.42).

    The quotient must be exact to the cent, and what was read must be a run of its digits, or spell it digit for
    digit where it printed digits (at least two) and a letter or mark in each other place: the cell held this
    price and OCR lost part of it. None otherwise (a price is never made up from nothing)."""
    if quantity <= 0 or amount <= 0 or not read:
        return None
    price = quantize(amount / quantity)
    if quantize(price * quantity) != amount:
        return None
    digits_read = re.sub(r"\D", "", read)
    digits = re.sub(r"\D", "", format(price, "f"))
    if len(digits_read) >= 2 and digits_read in digits:
        return price
    glyphs = re.sub(r"[.,\s]", "", read)
    spelled = len(glyphs) == len(digits) and 2 <= len(digits_read) < len(glyphs)
    if spelled and all(g == d or not g.isdigit() for g, d in zip(glyphs, digits, strict=True)):
        return price
    return None


_DIGIT_LOOKALIKES = str.maketrans({"§": "5", "S": "5", "s": "5", "O": "0", "o": "0", "l": "1", "I": "1", "B": "8"})


def folded_number(text: str, decimal_comma: bool | None) -> Decimal | None:
    """A number OCR printed with one digit as a look-alike glyph ('§.919,76' for 5.919,76), else None.

    Only a word of at least three digits, separators and exactly one look-alike is read this way; callers take
    the value only where a row's arithmetic then agrees, so the fold is confirmed by other cells, never by itself."""
    if len(re.findall(r"\d", text)) < 3 or len(re.findall(r"[§SsOolIB]", text)) != 1:
        return None
    if re.search(r"[^\d.,§SsOolIB]", text):
        return None
    return parse_amount(text.translate(_DIGIT_LOOKALIKES), decimal_comma)


def split_quantity(text: str) -> tuple[str, str | None]:
    """'10EA' or '10-EA' -> ('10', 'EA'); anything else unchanged."""
    m = re.fullmatch(r"(\d[\d.,]*)[-/]?([A-Za-z]{1,5})\.?", text)
    if m and looks_uom(m.group(2)):
        return m.group(1), m.group(2)
    return text, None


def quantity_cell_at_end(
    words: list[Word], quantity: Decimal | None, decimal_comma: bool | None
) -> tuple[list[Word], list[Word], str] | None:
    """A quantity cell printed left of a short, right-aligned header ('50 EA' under 'Q.tà') falls into the
    description column. Once the row's arithmetic has found the quantity, a description ending in that quantity
    and a unit ('… clip 50 EA', '… nozzle 8M') is split: (description words, the quantity cell's words, unit)."""
    if quantity is None or len(words) < 2:
        return None
    if looks_uom(words[-1].text) and len(words) >= 3:
        tail, qty_text, unit = words[-2:], words[-2].text, words[-1].text.strip(".,")
    else:
        qty_text, found = split_quantity(words[-1].text)
        if found is None:
            return None
        tail, unit = words[-1:], found
    if parse_amount(qty_text, decimal_comma) != quantity:
        return None
    return words[: -len(tail)], tail, unit
