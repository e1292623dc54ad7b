"""The summary read from the embedded SQLite by the standard library's driver is build_summary's, figure for figure."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from o2c.core.db import make_engine, make_session_factory, unit_of_work
from o2c.core.embedded import read_transaction
from o2c.review.embedded_summary import read_embedded_summary
from o2c.review.summary import build_summary


def test_the_summary_reads_as_build_summary_reads_it(demo_database):
    sessions = make_session_factory(make_engine(f"sqlite:///{demo_database}"))
    with unit_of_work(sessions) as session, read_transaction(demo_database) as connection:
        for later in (timedelta(0), timedelta(hours=2), timedelta(days=3)):  # the open exceptions change age bucket
            now = datetime.now(UTC) + later
            ours, theirs = read_embedded_summary(connection, now=now), build_summary(session, now=now)
            assert ours == theirs, later
    assert ours["counts"]["decided"] > 0 and ours["open_exceptions_by_reason"] and ours["processing_seconds"]["p50"]
    assert ours["open_exceptions_by_age"][">24h"] == sum(ours["open_exceptions_by_reason"].values())
