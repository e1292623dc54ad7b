"""The review services directly: reference aliases rewrite what a remittance printed; claims expire."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import sessionmaker

import o2c.core.events  # noqa: F401 - register tables
import o2c.extraction.models  # noqa: F401
import o2c.intake.models  # noqa: F401
import o2c.ledger.models  # noqa: F401
from o2c.core.db import Base, utcnow
from o2c.extraction.schema import REMITTANCE_ADVICE, ExtractedRemittance, Extraction, RemittanceItem
from o2c.review import learning
from o2c.review import service as review
from o2c.review.errors import ExceptionClaimedByOther, ExceptionClosed
from o2c.review.models import ReferenceAlias


@pytest.fixture
def session(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'learning.sqlite3'}")
    Base.metadata.create_all(engine)
    with sessionmaker(engine)() as session:
        yield session
    engine.dispose()


def _remittance(*references: str) -> Extraction:
    items = [RemittanceItem(invoice_number=ref, amount_paid=Decimal("10.00")) for ref in references]
    return Extraction(
        source="r.pdf",
        document_type=REMITTANCE_ADVICE,
        remittance=ExtractedRemittance(amount=Decimal("10.00") * len(items), items=items),
    )


def test_a_learned_reference_is_used_next_time_and_retiring_it_stops_that(session):
    row = learning.learn_reference(
        session,
        customer_id="C-1",
        reference="Our ref 77/A",
        invoice_number="INV-10007",
        reviewer="reviewer:key-1",
        exception_id=5,
    )
    assert row.provenance == "reviewer reviewer:key-1 on exception 5" and row.active
    rewritten = learning.apply_reference_aliases(session, _remittance("OUR REF 77-A", "INV-2"))
    assert [i.invoice_number for i in rewritten.remittance.items] == ["INV-10007", "INV-2"]
    assert any("learned from a reviewer" in w for w in rewritten.warnings)
    learning.retire_alias(session, "references", row.id, actor="reviewer:key-1")
    again = learning.apply_reference_aliases(session, _remittance("OUR REF 77-A"))
    assert again.remittance.items[0].invoice_number == "OUR REF 77-A"


def test_a_reference_that_means_two_invoices_is_left_alone(session):
    for customer, number in (("C-1", "INV-1"), ("C-2", "INV-2")):
        session.add(ReferenceAlias(customer_id=customer, reference="R-9", reference_key="R9", invoice_number=number))
    session.flush()
    assert learning.apply_reference_aliases(session, _remittance("R-9")).remittance.items[0].invoice_number == "R-9"
    assert (
        learning.learn_reference(
            session, customer_id="C-1", reference="INV-1", invoice_number="INV-1", reviewer="r", exception_id=1
        )
        is None
    )  # the reference already is the number


def test_a_claim_expires_and_a_closed_exception_cannot_be_claimed(session):
    item = review.open_exception(
        session,
        document_id=1,
        extraction_id=None,
        document_type="other",
        reasons=["unreadable"],
        evidence=[],
        amount_at_risk=Decimal("50"),
    )
    assert item.priority == 50 and item.due_at is not None
    now = utcnow()
    review.claim_exception(session, item.id, reviewer="ann", now=now)
    with pytest.raises(ExceptionClaimedByOther):
        review.claim_exception(session, item.id, reviewer="bob", now=now + timedelta(minutes=29))
    assert review.claim_exception(session, item.id, reviewer="bob", now=now + timedelta(minutes=31)).claimed_by == "bob"
    review.record_resolution(session, item.id, review.Resolution(action="dismiss"), reviewer="bob")
    with pytest.raises(ExceptionClosed):
        review.claim_exception(session, item.id, reviewer="ann")
    assert [e.kind for e in review.audit_trail(session, item.id)] == [
        "exception.opened",
        "exception.claimed",
        "exception.claimed",
        "exception.resolved",
    ]
