"""Money helpers: amounts are Decimal, quantized at the edges; locale-aware parsing lives here, in one place.

Amounts travel with an explicit currency column or field beside them (ledger rows, extraction fields); the
ledger refuses to mix currencies in one application (ledger.errors.CurrencyMismatch)."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache
from typing import overload

CENT = Decimal("0.01")

# What the ledger keeps exactly: amounts and quantities are NUMERIC(19, 4), at most 15 digits before the point
# (PostgreSQL refuses more), and the embedded SQLite holds NUMERIC as a binary double, which keeps 15 significant
# decimal digits exactly and no more. A value outside this is refused, never stored rounded.
STORED_SCALE = Decimal("0.0001")
STORABLE_DIGITS = 15


def storable(value: Decimal) -> bool:
    """True when the ledger keeps this value exactly on every backend (at 4 decimals, 15 significant digits)."""
    _sign, digits, exponent = value.as_tuple()
    if type(exponent) is int and exponent >= -4 and len(digits) <= STORABLE_DIGITS - max(exponent, 0):
        return True  # at most 4 decimals and 15 digits as written (the usual amount): quantizing keeps it
    if not value.is_finite():
        return False
    try:
        kept = value.quantize(STORED_SCALE)
    except InvalidOperation:  # more digits than Decimal's context holds
        return False
    if not kept:
        return True
    digits = kept.normalize().as_tuple().digits
    return kept.adjusted() < STORABLE_DIGITS and len(digits) <= STORABLE_DIGITS


def stored_decimal(value: int | float | str | Decimal | None) -> Decimal | None:
    """An amount as a database driver hands it back, as the Decimal that was stored: the embedded SQLite returns
    the double it keeps (read by its shortest repr, exact up to 15 significant digits, not a '%.4f' that prints
    the binary tail) or an integer; PostgreSQL a Decimal."""
    if value is None or isinstance(value, Decimal):
        return value
    return Decimal(repr(value) if isinstance(value, float) else str(value)).quantize(STORED_SCALE)


def quantize(value: Decimal, rounding: str = ROUND_HALF_UP) -> Decimal:
    """Round an amount to cents."""
    return value.quantize(CENT, rounding=rounding)


def to_decimal(value) -> Decimal | None:
    """Decimal from a Decimal, int or plain decimal string; None stays None. Floats are refused."""
    if value is None or value == "":
        return None
    if isinstance(value, float):
        raise TypeError("money must never be a float")
    try:
        return Decimal(str(value).strip())
    except InvalidOperation as exc:
        raise ValueError(f"not a decimal: {value!r}") from exc


@overload
def decimal_str(value: Decimal) -> str: ...
@overload
def decimal_str(value: None) -> None: ...
@overload
def decimal_str(value: Decimal | None) -> str | None: ...
def decimal_str(value: Decimal | None) -> str | None:
    """A plain decimal string for JSON ('1234.50'); None stays None."""
    if value is None:
        return None
    text = format(value, "f")
    return text


_NEGATIVE_WRAP = re.compile(r"^\((.*)\)$")
_NUMBER_CHARS = re.compile(r"[^0-9.,'\s\u00a0\u202f-]")
_SPACES = re.compile(r"[\s\u00a0\u202f]")


def parse_amount(text: str | None, decimal_comma: bool | None = None) -> Decimal | None:
    """A Decimal from a printed amount ('1,234.50', '1.234,50', '$(12.00)', '12.00-', 'EUR 1 234,50').

    decimal_comma forces the decimal separator (True: ',' as in German, False: '.'); None infers it from
    the text, reading a lone separator followed by exactly three digits as a thousands separator only when
    it is a comma. Returns None when the text is not one amount.
    """
    if text is None:
        return None
    return _parse_amount(text, decimal_comma)


@lru_cache(maxsize=2_048)  # a document reads its numbers several times over (cells, totals, arithmetic checks)
def _parse_amount(text: str, decimal_comma: bool | None) -> Decimal | None:
    s = text.strip()
    if not s:
        return None
    if re.search(r"\d\s*[/:]\s*\d", s):  # a date (03/28/2026) or a time is never an amount
        return None
    negative = False
    wrapped = _NEGATIVE_WRAP.match(s)
    if wrapped:
        negative, s = True, wrapped.group(1).strip()
    credit = re.search(r"(?i)\s*\bCR\.?$", s)
    if credit:  # a trailing CR marks a credit, printed as a negative
        negative, s = True, s[: credit.start()]
    s = _NUMBER_CHARS.sub("", s).strip()
    if re.search(r"\d[.,]\d{1,2}[.,]$", s):  # a sentence's full stop after the amount: '221.40.'
        s = s[:-1]
    if s.endswith("-"):
        negative, s = True, s[:-1].strip()
    if s.startswith("-"):
        negative, s = True, s[1:].strip()
    if not s or not any(c.isdigit() for c in s) or "-" in s:
        return None
    number = _canonical(s, decimal_comma)
    if number is None:
        return None
    try:
        value = Decimal(number)
    except InvalidOperation:
        return None
    return -value if negative else value


def _canonical(s: str, decimal_comma: bool | None) -> str | None:
    """'1.234,50' -> '1234.50' given (or after inferring) the decimal separator; None if malformed."""
    s = _SPACES.sub(" ", s)
    if " " in s:
        # spaces may only group thousands: '1 234,50'
        if not re.fullmatch(r"\d{1,3}( \d{3})+([.,']\d*)?", s):
            return None
        s = s.replace(" ", "")
    if "'" in s:  # Swiss grouping: 1'234.50
        s = s.replace("'", "")
    if decimal_comma is None:
        decimal_comma = _infers_decimal_comma(s)
    decimal_sep, group_sep = (",", ".") if decimal_comma else (".", ",")
    if s.count(decimal_sep) > 1:
        return None
    whole, _, frac = s.partition(decimal_sep)
    if group_sep in whole:
        if not re.fullmatch(rf"\d{{1,3}}(\{group_sep}\d{{3}})+", whole):
            return None
        whole = whole.replace(group_sep, "")
    if not whole.isdigit() and whole != "":
        return None
    if frac and not frac.isdigit():
        return None
    if group_sep in frac:
        return None
    return f"{whole or '0'}.{frac}" if frac else (whole or None)


def _infers_decimal_comma(s: str) -> bool:
    """True when the last separator in s is a decimal comma."""
    last_comma, last_dot = s.rfind(","), s.rfind(".")
    if last_comma >= 0 and last_dot >= 0:
        return last_comma > last_dot
    if last_comma >= 0:
        tail = s[last_comma + 1 :]
        return s.count(",") == 1 and len(tail) != 3
    return s.count(".") > 1  # '1.234.567' groups with dots
