"""A bank credit held for review is resolved through the same path as every exception: apply it to invoices,
put it on a customer's account, or return it to the payer; a broken ledger rule changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from o2c.core.db import unit_of_work
from o2c.ledger.errors import OverApplication
from o2c.ledger.models import BankCredit, Payment
from o2c.pipeline.resolutions import resolve_exception
from o2c.pipeline.statements import import_statement, match_pending, unapplied
from o2c.review import service as review
from o2c.review.errors import InvalidResolution, NotApplicable
from tests.bank.generators import Credit, mt940
from tests.bank.test_banking import NOW, POLICY, _count, _open
from tests.bank.test_banking import ctx as ctx  # noqa: F401 - the fixture, shared

D = Decimal
REVIEWER = "reviewer:key-test"


def _credit_in_review(ctx) -> int:
    content = mt940([Credit(D("650.00"), payer="Unknown Trading Ltd", text="misc", end_to_end="E2E-R")])
    import_statement(ctx, content, "stmt.sta", policy=POLICY, now=NOW)
    (outcome,) = match_pending(ctx, policy=POLICY, now=datetime.now(UTC) + timedelta(hours=49))
    assert outcome["status"] == "review"
    return outcome["exception_id"]


def _credit(ctx) -> BankCredit:
    with unit_of_work(ctx.session_factory) as session:
        return session.scalars(select(BankCredit)).one()


def test_apply_a_credit_in_review_across_two_invoices(ctx):
    exception_id = _credit_in_review(ctx)
    too_much = review.Resolution(
        action="apply_cash",
        customer_id="C-ACME",
        applications=[
            {"invoice_number": "INV-1004", "amount": "400.00"},
            {"invoice_number": "INV-1001", "amount": "100.00"},
        ],
    )
    with pytest.raises(OverApplication):
        resolve_exception(ctx, exception_id, too_much, reviewer=REVIEWER)
    assert _credit(ctx).status == "review" and _count(ctx, Payment) == 0  # nothing moved
    outcome = resolve_exception(
        ctx,
        exception_id,
        review.Resolution(
            action="apply_cash",
            customer_id="C-ACME",
            applications=[
                {"invoice_number": "INV-1004", "amount": "310.00"},
                {"invoice_number": "INV-1001", "amount": "100.00"},
            ],
        ),
        reviewer=REVIEWER,
    )
    assert (outcome["status"], outcome["bank_status"]) == ("posted", "applied")
    assert _open(ctx, "INV-1004") == 0 and _open(ctx, "INV-1001") == 0
    (row,) = unapplied(ctx)  # the rest waits on the customer's account
    assert (row["customer_id"], row["unapplied_amount"]) == ("C-ACME", "240.00")
    with unit_of_work(ctx.session_factory) as session:
        assert review.get_exception(session, exception_id).status == "resolved"
        kinds = [e.kind for e in review.audit_trail(session, exception_id)]
    assert kinds[-2:] == ["exception.resolved", "bank_credit.resolved"]


def test_on_account_posts_the_cash_unapplied(ctx):
    exception_id = _credit_in_review(ctx)
    with pytest.raises(InvalidResolution):  # the payer is unknown: the reviewer must say whose cash it is
        resolve_exception(ctx, exception_id, review.Resolution(action="on_account"), reviewer=REVIEWER)
    outcome = resolve_exception(
        ctx, exception_id, review.Resolution(action="on_account", customer_id="C-ACME"), reviewer=REVIEWER
    )
    assert outcome["bank_status"] == "on_account" and outcome["payment_id"]
    (row,) = unapplied(ctx)
    assert (row["status"], row["customer_id"], row["unapplied_amount"]) == ("on_account", "C-ACME", "650.00")


def test_return_sends_it_back_and_it_is_no_longer_unapplied_cash(ctx):
    exception_id = _credit_in_review(ctx)
    with pytest.raises(InvalidResolution):  # a return says why
        resolve_exception(ctx, exception_id, review.Resolution(action="return"), reviewer=REVIEWER)
    for refused in (
        review.Resolution(action="choose_product", line=0, sku="X"),
        review.Resolution(action="dismiss", note="not ours"),
    ):  # cash is never just dismissed
        with pytest.raises(NotApplicable):
            resolve_exception(ctx, exception_id, refused, reviewer=REVIEWER)
    outcome = resolve_exception(
        ctx, exception_id, review.Resolution(action="return", note="not our customer"), reviewer=REVIEWER
    )
    assert (outcome["status"], outcome["payment_id"]) == ("returned", None)
    assert _credit(ctx).status == "returned" and _count(ctx, Payment) == 0 and unapplied(ctx) == []
