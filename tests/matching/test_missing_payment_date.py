"""Rule 4: a missing field stops the decision that needs it (no payment date -> the discount cannot be judged)."""

from __future__ import annotations

from datetime import date

from o2c.matching.remittances import decide_remittance
from tests.matching.test_matching_service import L, M, item, remittance


def test_discount_without_payment_date_goes_to_review_not_to_a_deduction(seeded):
    undated = remittance([item("INV-090001", "980.00", "20.00")], "980.00", paid=None)
    decision = decide_remittance(seeded, undated, matching=M, ledger=L)
    assert not decision.postable
    assert decision.reasons == ["missing_field"]
    assert decision.evidence[0]["field"] == "remittance.payment_date"
    assert "cannot be judged" in decision.evidence[0]["rule"]
    # the same remittance with its date read posts (earned within 2/10)
    dated = remittance([item("INV-090001", "980.00", "20.00")], "980.00", paid=date(2024, 3, 22))
    assert decide_remittance(seeded, dated, matching=M, ledger=L).postable


def test_no_discount_needs_no_payment_date(seeded):
    undated = remittance([item("INV-090002", "250.00")], "250.00", paid=None)
    assert decide_remittance(seeded, undated, matching=M, ledger=L).reasons == []
