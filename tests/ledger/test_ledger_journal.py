"""The journal: balanced per currency, idempotent by key, immutable, corrected only by reversal."""

from datetime import date
from decimal import Decimal

import pytest

from o2c.ledger.errors import AlreadyReversed, ImmutableEntry, UnbalancedEntry
from o2c.ledger.journal import AR, CASH, REVENUE, account_balances, credit, debit, post_entry, reverse_entry

D = date(2024, 3, 1)


def test_balanced_entry_posts_and_is_idempotent(session):
    lines = [debit(AR, Decimal("10"), "USD", "C1"), credit(REVENUE, Decimal("10"), "USD", "C1")]
    first = post_entry(session, "invoice", "k1", D, lines)
    again = post_entry(session, "invoice", "k1", D, lines)
    assert again.id == first.id
    assert account_balances(session) == {("AR", "USD"): Decimal("10"), ("REVENUE", "USD"): Decimal("-10")}


def test_balance_is_checked_per_currency(session):
    with pytest.raises(UnbalancedEntry):
        post_entry(session, "x", "k2", D, [debit(CASH, Decimal("10"), "USD"), credit(AR, Decimal("10"), "EUR")])
    with pytest.raises(UnbalancedEntry):
        post_entry(session, "x", "k3", D, [debit(CASH, Decimal("10"), "USD"), credit(AR, Decimal("9.99"), "USD")])
    with pytest.raises(UnbalancedEntry):
        post_entry(session, "x", "k4", D, [debit("PETTY", Decimal("1"), "USD"), credit(AR, Decimal("1"), "USD")])


def test_reversal_mirrors_and_happens_once(session):
    entry = post_entry(session, "x", "k5", D, [debit(CASH, Decimal("7"), "USD"), credit(AR, Decimal("7"), "USD")])
    reversal = reverse_entry(session, entry, entry_date=D)
    assert reversal.reverses_id == entry.id
    assert reverse_entry(session, entry, entry_date=D).id == reversal.id  # idempotent
    with pytest.raises(AlreadyReversed):
        reverse_entry(session, reversal, entry_date=D)
    assert all(v == 0 for v in account_balances(session).values())


def test_posted_entries_are_immutable(session):
    entry = post_entry(session, "x", "k6", D, [debit(CASH, Decimal("7"), "USD"), credit(AR, Decimal("7"), "USD")])
    entry.lines[0].debit = Decimal("8")
    with pytest.raises(ImmutableEntry):
        session.flush()
