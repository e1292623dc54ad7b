"""parse_amount, dates and currencies: examples plus property-based round trips."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from o2c.core.money import parse_amount
from o2c.extraction.fields import _COMMA_AMOUNT, _DOT_AMOUNT, decide_decimal_comma
from o2c.extraction.normalize import decide_date_order, detect_currency, find_dates, parse_date


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1,234.50", "1234.50"),
        ("1.234,50", "1234.50"),
        ("1 234,50", "1234.50"),
        ("$1,234.50", "1234.50"),
        ("(12.00)", "-12.00"),
        ("12.00-", "-12.00"),
        ("EUR 1.234,50", "1234.50"),
        ("1.234.567,89", "1234567.89"),
        ("1,234,567.89", "1234567.89"),
        ("1'234.50", "1234.50"),
        ("100.00 CR", "-100.00"),
        ("12,5", "12.5"),
        ("€ 0,99", "0.99"),
        ("221.40.", "221.40"),
        ("1,234", "1234"),
    ],
)
def test_parse_amount_examples(text, expected):
    assert parse_amount(text) == Decimal(expected)


@pytest.mark.parametrize("text", ["", "abc", "1.2.3", "12-34", "1,23,4.5", None])
def test_parse_amount_refuses_non_amounts(text):
    assert parse_amount(text) is None


def test_parse_amount_forced_separator():
    assert parse_amount("1.234", decimal_comma=True) == Decimal("1234")
    assert parse_amount("1,234", decimal_comma=True) == Decimal("1.234")
    assert parse_amount("1.234", decimal_comma=False) == Decimal("1.234")


amounts = st.decimals(
    min_value=Decimal("-99999999.99"), max_value=Decimal("99999999.99"), places=2, allow_nan=False, allow_infinity=False
)


def _format(value: Decimal, style: str) -> str:
    text = f"{abs(value):,.2f}"
    if style == "de":
        text = text.replace(",", "_").replace(".", ",").replace("_", ".")
    elif style == "fr":
        text = text.replace(",", " ").replace(".", ",")
    if value < 0:
        return {"us": f"({text})", "de": f"{text}-", "fr": f"-{text}"}[style]
    return text


@given(amounts, st.sampled_from(["us", "de", "fr"]))
def test_parse_amount_round_trips(value, style):
    decimal_comma = style != "us"
    assert parse_amount(_format(value, style), decimal_comma=decimal_comma) == value


@given(amounts)
def test_parse_amount_infers_separator_when_cents_are_printed(value):
    assert parse_amount(_format(value, "us")) == value
    assert parse_amount(_format(value, "de")) == value


@pytest.mark.parametrize(
    ("text", "day_first", "expected"),
    [
        ("03/14/2026", False, date(2026, 3, 14)),
        ("14.03.2026", True, date(2026, 3, 14)),
        ("2026-03-14", False, date(2026, 3, 14)),
        ("March 14, 2026", False, date(2026, 3, 14)),
        ("14 Mar 2026", False, date(2026, 3, 14)),
        ("03/04/2026", True, date(2026, 4, 3)),
        ("03/04/2026", False, date(2026, 3, 4)),
        ("5. März 2026", True, date(2026, 3, 5)),
    ],
)
def test_parse_date(text, day_first, expected):
    order = decide_date_order("14.03.2026" if day_first else "03/14/2026")
    assert parse_date(text, order) == expected


def test_date_order_is_decided_per_document():
    assert decide_date_order("Date: 03/04/2026 Due: 03/25/2026").day_first is False
    assert decide_date_order("Date: 03/04/2026 Due: 25/03/2026").day_first is True
    assert decide_date_order("Bestelldatum: 03.04.2026").day_first is True
    assert decide_date_order("Order date 03/04/2026 USD").decided_by == "default"


def test_find_dates_spans():
    text = "paid on 03/17/2026 for March 1, 2026 invoices"
    found = find_dates(text)
    assert [d for d, _, _ in found] == [date(2026, 3, 17), date(2026, 3, 1)]
    assert text[found[0][1] : found[0][2]] == "03/17/2026"


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Total $1,234.50", "USD"),
        ("Summe 1.234,50 €", "EUR"),
        ("£12.00", "GBP"),
        ("CA$ 12.00", "CAD"),
        ("Total USD 5.00 ($)", "USD"),
        ("$ 12 (amounts in CAD)", "CAD"),
        ("no money here", None),
    ],
)
def test_detect_currency(text, code):
    assert detect_currency(text)[0] == code


_LOOKBEHIND_FIRST = (  # decide_decimal_comma's patterns as first written: the look back before the first digit
    re.compile(r"(?<![\d.,])\d{1,3}(?:\.\d{3})*,\d{2}(?![\d,])"),
    re.compile(r"(?<![\d.,])\d{1,3}(?:,\d{3})*\.\d{2}(?![\d.])"),
)


@given(st.text(alphabet="0123456789.,, -a\n", max_size=40))
def test_the_decimal_separator_vote_counts_what_the_lookbehind_first_patterns_count(text):
    comma, dot = (len(p.findall(text)) for p in _LOOKBEHIND_FIRST)
    assert decide_decimal_comma(text) == (None if comma == dot else comma > dot)
    assert [m.span() for m in _COMMA_AMOUNT.finditer(text)] == [m.span() for m in _LOOKBEHIND_FIRST[0].finditer(text)]
    assert [m.span() for m in _DOT_AMOUNT.finditer(text)] == [m.span() for m in _LOOKBEHIND_FIRST[1].finditer(text)]
