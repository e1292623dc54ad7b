"""Documents of a reviewer's day, generated from the sample specs: a PO whose quantity was misread, and a
remittance that short-pays an invoice (it posts and opens a deduction)."""

from __future__ import annotations

import dataclasses
from datetime import date
from decimal import Decimal

from tests.fixtures.generate import sample_orders, sample_remittances
from tests.fixtures.layouts import Line, RemitItem, render


class _MisreadLine(Line):
    """A line whose printed amount (195.00) says the quantity printed (10) is wrong: 100 x 1.95."""

    @property
    def amount(self) -> Decimal:
        return Decimal("195.00")


def misread_po() -> bytes:
    """Harbor's PO HM-3431: line 1 prints quantity 10 for 195.00 at 1.95, under their own part number."""
    spec = next(s for name, s, _ in sample_orders() if name == "po_harbor_unknown_sku.pdf")
    return render(
        dataclasses.replace(
            spec,
            po_number="HM-3431",
            lines=[
                _MisreadLine("HM-OS-3047", "Oil seal 30x47x7 NBR", Decimal("10"), Decimal("1.95"), "EA"),
                Line("HYD-HF25", "Hydraulic hose 1/2 in. x 25 ft", Decimal("2"), Decimal("58.00"), "EA"),
            ],
        )
    )


def short_pay_remittance() -> bytes:
    """Summit pays 3000.00 of INV-10005's 3310.80: a 310.80 short payment."""
    summit = next(r for name, r, _ in sample_remittances() if name == "remit_summit_cheque.pdf")
    return render(
        dataclasses.replace(
            summit,
            payment_reference="CHK-77120",
            items=[RemitItem("INV-10005", date(2026, 2, 25), Decimal("3310.80"), Decimal("0.00"), Decimal("3000.00"))],
        )
    )
