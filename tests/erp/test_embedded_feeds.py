"""The feeds read from the embedded SQLite by the standard library's driver are the ORM's pages, item for item."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from o2c.core.db import make_engine, make_session_factory, unit_of_work
from o2c.core.embedded import read_transaction
from o2c.core.errors import InvalidInput
from o2c.erp import records as feed_records
from o2c.erp.embedded_feeds import read_embedded_feed
from o2c.erp.feeds import FEEDS, read_feed

NOW = datetime(2026, 12, 31, 12, 0, tzinfo=UTC)


def _pages(read_page, feed: str, limit: int) -> list[dict]:
    pages, cursor = [], None
    while True:
        page = read_page(feed, cursor=cursor, limit=limit)
        pages.append(page)
        if not page["items"]:
            return pages
        cursor = page["next_cursor"]


@pytest.mark.parametrize("limit", [2, 500])
def test_every_feed_pages_as_the_orm_pages_it(demo_database, monkeypatch, limit):
    monkeypatch.setattr(feed_records, "utcnow", lambda: NOW)  # an exception's age, the same on both sides
    sessions = make_session_factory(make_engine(f"sqlite:///{demo_database}"))
    with unit_of_work(sessions) as session, read_transaction(demo_database) as connection:
        for feed in FEEDS:
            ours = _pages(lambda *a, **k: read_embedded_feed(connection, *a, **k), feed, limit)
            theirs = _pages(lambda *a, **k: read_feed(session, *a, **k), feed, limit)
            assert ours == theirs, feed
            assert sum(len(p["items"]) for p in ours) >= 3, feed  # the demo has records in every feed


def test_order_lines_and_remittance_lines_come_with_their_records(demo_database):
    with read_transaction(demo_database) as connection:
        orders = read_embedded_feed(connection, "orders", limit=1000)["items"]
        payments = read_embedded_feed(connection, "payments", limit=1000)["items"]
        applications = read_embedded_feed(connection, "applications", limit=1000)["items"]
    assert all(
        order["lines"] and [ln["line_no"] for ln in order["lines"]] == sorted(ln["line_no"] for ln in order["lines"])
        for order in orders
    )
    assert all(payment["remittance_lines"] for payment in payments)
    assert all(application["invoice_number"] for application in applications)


def test_a_wrong_feed_or_cursor_is_refused_as_the_orm_refuses_it(demo_database):
    with read_transaction(demo_database) as connection:
        orders = read_embedded_feed(connection, "orders", limit=1)
        with pytest.raises(InvalidInput, match="unknown feed"):
            read_embedded_feed(connection, "customers")
        with pytest.raises(InvalidInput, match="another feed"):
            read_embedded_feed(connection, "invoices", cursor=orders["next_cursor"])
        with pytest.raises(InvalidInput, match="invalid cursor"):
            read_embedded_feed(connection, "orders", cursor="not-a-cursor")
