"""The summary read from the embedded SQLite with the standard library's driver (core/embedded.py): the same
statements as review/summary.py's `build_summary` runs through the ORM, handed to the same `summary_figures`, for
`o2c summary`, which then starts without SQLAlchemy. tests/review/test_embedded_summary.py compares the two."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from typing import Any

from o2c.core.clock import utcnow
from o2c.core.embedded import to_datetime
from o2c.extraction.states import BusinessDocumentStatus
from o2c.review.dashboard import DECIDED, summary_figures
from o2c.review.states import OPEN_STATES

_REVIEWED = "SELECT extraction_id FROM exceptions WHERE extraction_id IS NOT NULL"
_LIVE = "rule != 'reversal' AND reversed_by_id IS NULL"


def _among(values) -> str:
    return "(" + ", ".join(f"'{value}'" for value in values) + ")"  # our own enum values: plain identifiers


def _count(connection: sqlite3.Connection, sql: str, params: tuple = ()) -> int:
    return connection.execute(sql, params).fetchone()[0] or 0


def _by_status(connection: sqlite3.Connection, table: str) -> dict[str, int]:
    return {str(status): n for status, n in connection.execute(f"SELECT status, count(*) FROM {table} GROUP BY status")}


def read_embedded_summary(connection: sqlite3.Connection, *, now: datetime | None = None) -> dict[str, Any]:
    """build_summary's figures, read in the connection's transaction."""
    decided_states = _among(DECIDED)
    open_exceptions = [
        (None if reasons is None else json.loads(reasons), to_datetime(created))
        for reasons, created in connection.execute(
            f"SELECT reasons, created_at FROM exceptions WHERE status IN {_among(OPEN_STATES)}"
        )
    ]
    decided_times = [
        (to_datetime(done), to_datetime(received))
        for done, received in connection.execute(
            "SELECT extractions.updated_at, documents.received_at FROM extractions "
            f"JOIN documents ON documents.id = extractions.document_id WHERE extractions.status IN {decided_states}"
        )
    ]
    return summary_figures(
        now=now or utcnow(),
        documents=_by_status(connection, "documents"),
        business=_by_status(connection, "extractions"),
        decided=_count(connection, f"SELECT count(*) FROM extractions WHERE status IN {decided_states}"),
        touchless=_count(
            connection,
            f"SELECT count(*) FROM extractions WHERE status = ? AND id NOT IN ({_REVIEWED})",
            (BusinessDocumentStatus.POSTED.value,),
        ),
        payments=_count(connection, "SELECT count(id) FROM payments"),
        auto_payments=_count(
            connection,
            f"SELECT count(id) FROM payments WHERE source_extraction_id NOT IN ({_REVIEWED}) AND unapplied_amount = 0",
        ),
        applications=_count(connection, f"SELECT count(id) FROM cash_applications WHERE {_LIVE}"),
        auto_applications=_count(
            connection, f"SELECT count(id) FROM cash_applications WHERE {_LIVE} AND rule != 'manual'"
        ),
        exceptions_by_status=_by_status(connection, "exceptions"),
        open_exceptions=open_exceptions,
        decided_times=decided_times,
    )
