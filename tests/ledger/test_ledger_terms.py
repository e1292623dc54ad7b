"""Payment terms parsing, due dates and the early-payment discount window."""

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from o2c.ledger.terms import PaymentTerms, allowed_discount, discount_allowed, due_date, parse_terms


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Net 30", PaymentTerms(30, text="Net 30")),
        ("Net 30 Days", PaymentTerms(30, text="Net 30 Days")),
        ("NET30", PaymentTerms(30, text="NET30")),
        ("2/10 Net 30", PaymentTerms(30, Decimal("2"), 10, "2/10 Net 30")),
        ("2% 10, Net 45", PaymentTerms(45, Decimal("2"), 10, "2% 10, Net 45")),
        ("1.5/15 N 60", PaymentTerms(60, Decimal("1.5"), 15, "1.5/15 N 60")),
        ("Due on receipt", PaymentTerms(0, text="Due on receipt")),
        ("Due upon receipt", PaymentTerms(0, text="Due upon receipt")),
    ],
)
def test_parse_terms(text, expected):
    assert parse_terms(text) == expected


@pytest.mark.parametrize("text", [None, "", "   ", "whenever", "2/40 Net 30", "150/10 Net 30"])
def test_unknown_terms_are_none(text):
    assert parse_terms(text) is None


def test_due_date_and_discount_window():
    terms = parse_terms("2/10 Net 30")
    invoiced = date(2024, 3, 1)
    assert due_date(invoiced, terms) == date(2024, 3, 31)
    assert due_date(invoiced, None) is None
    assert allowed_discount(
        terms, invoice_date=invoiced, invoice_amount=Decimal("1000"), payment_date=date(2024, 3, 11)
    ) == Decimal("20.00")
    assert allowed_discount(
        terms, invoice_date=invoiced, invoice_amount=Decimal("1000"), payment_date=date(2024, 3, 12)
    ) == Decimal("0")
    kwargs = {"invoice_date": invoiced, "invoice_amount": Decimal("1000"), "payment_date": date(2024, 3, 5)}
    assert discount_allowed(terms, discount=Decimal("20.00"), **kwargs)
    assert not discount_allowed(terms, discount=Decimal("20.01"), **kwargs)
    assert not discount_allowed(parse_terms("Net 30"), discount=Decimal("1"), **kwargs)
    assert not discount_allowed(
        terms, discount=Decimal("5"), invoice_date=invoiced, invoice_amount=Decimal("1000"), payment_date=None
    )


@given(net=st.integers(0, 365), pct=st.decimals("0.1", "9.9", places=1), days=st.integers(0, 365))
def test_parse_terms_roundtrip(net, pct, days):
    text = f"{pct}/{days} Net {net}"
    parsed = parse_terms(text)
    if days > net:
        assert parsed is None
    else:
        assert (parsed.net_days, parsed.discount_pct, parsed.discount_days) == (net, pct, days)
