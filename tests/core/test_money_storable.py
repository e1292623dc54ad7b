"""What the ledger keeps exactly (core.money.storable): 15 significant digits at 4 decimals, finite, on every
backend (the embedded SQLite keeps NUMERIC as a binary double)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

import pytest
from hypothesis import given
from hypothesis import strategies as st

from o2c.core.money import STORABLE_DIGITS, STORED_SCALE, storable

D = Decimal


@pytest.mark.parametrize(
    "value",
    ["0", "-0.00", "0.01", "-4225.22", "9999999999999.99", "99999999999.9999", "999999999999999", "1.23456", "1E-9"],
)
def test_kept_exactly(value):
    assert storable(D(value))


@pytest.mark.parametrize(
    "value",
    [
        "9999999999999999.99",  # what SQLite returned as 10000000000000000
        "99999999999999.99",  # 16 significant digits: came back as …9844
        "1000000000000000",  # 16 integer digits: PostgreSQL's NUMERIC(19, 4) refuses it
        "123456789012.34567",  # 16 digits once kept at 4 decimals
        "NaN",
        "Infinity",
        "-Infinity",
        "1E+400",
    ],
)
def test_refused(value):
    assert not storable(D(value))


def _kept_after_quantizing(value: Decimal) -> bool:
    """The rule written out: quantize to 4 decimals, then at most 15 significant digits, 15 before the point."""
    if not value.is_finite():
        return False
    try:
        kept = value.quantize(STORED_SCALE)
    except InvalidOperation:
        return False
    if not kept:
        return True
    return kept.adjusted() < STORABLE_DIGITS and len(kept.normalize().as_tuple().digits) <= STORABLE_DIGITS


@given(
    st.integers(-(10**20), 10**20),
    st.integers(-8, 8),
)
def test_the_fast_path_for_plain_amounts_answers_as_the_rule(coefficient, exponent):
    value = Decimal(coefficient).scaleb(exponent)
    assert storable(value) == _kept_after_quantizing(value)


@pytest.mark.parametrize("value", ["0E+20", "0E+15", "9E+14", "1E+15", "99999999999999E+1", "1234567890123450", "sNaN"])
def test_edges_of_the_fast_path(value):
    assert storable(D(value)) == _kept_after_quantizing(D(value))
