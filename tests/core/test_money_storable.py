"""What the ledger keeps exactly (core.money.storable): 15 significant digits at 4 decimals, finite, on every
backend (the embedded SQLite keeps NUMERIC as a binary double)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from o2c.core.money import storable

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
