"""The event-to-outbox copy loses no event: one committed late, far below the newest staged id, still goes out."""

from __future__ import annotations

from sqlalchemy import func, select

from o2c.core.db import unit_of_work
from o2c.core.events import Event
from o2c.erp.outbox import stage_events
from o2c.review.models import WebhookDelivery


def test_an_event_older_than_any_look_back_is_still_staged(database_url, make_context):
    ctx = make_context(database_url)
    with unit_of_work(ctx.session_factory) as session:
        session.add_all(
            [
                Event(
                    id=1000 + n,
                    kind="order.posted" if n % 2 else "document.received",
                    subject_type="extraction",
                    subject_id=n,
                    payload={},
                )
                for n in range(1500)
            ]
        )
    with unit_of_work(ctx.session_factory) as session:
        assert stage_events(session) == 750
    # a long transaction took id 10 early and commits only now, 2,500 ids below the newest staged event
    with unit_of_work(ctx.session_factory) as session:
        session.add(Event(id=10, kind="payment.posted", subject_type="extraction", subject_id=99, payload={}))
    with unit_of_work(ctx.session_factory) as session:
        assert stage_events(session) == 1
        assert stage_events(session) == 0  # and only once
        late = session.scalar(select(WebhookDelivery).where(WebhookDelivery.event_id == 10))
        assert late is not None and late.idempotency_key == "o2c-event-10"
        assert session.scalar(select(func.count()).select_from(WebhookDelivery)) == 751
