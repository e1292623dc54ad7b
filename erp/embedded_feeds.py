"""The ERP feeds read from the embedded SQLite with the standard library's driver (core/embedded.py): the same
pages as erp/feeds.py's `read_feed` gives through the ORM (the same rows, order, cursors and record dicts), for
`o2c export`, which then starts without SQLAlchemy. tests/erp/test_embedded_feeds.py compares the two."""

from __future__ import annotations

import json
import sqlite3
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from o2c.core.embedded import Record, records
from o2c.erp.records import check_feed, decode_cursor, exception_to_dict, feed_page, page_size
from o2c.ledger.records import application_to_dict, invoice_to_dict, order_to_dict, payment_record

# feed -> (its table, the record dict, (attribute, child table, the child's key to its parent) or None)
_FEEDS: dict[str, tuple[str, Callable[[Any], dict[str, Any]], tuple[str, str, str] | None]] = {
    "orders": ("orders", order_to_dict, ("lines", "order_lines", "order_id")),
    "invoices": ("invoices", invoice_to_dict, None),
    "payments": ("payments", payment_record, ("items", "remittance_lines", "payment_id")),
    "applications": ("cash_applications", application_to_dict, None),
    "exceptions": ("exceptions", exception_to_dict, None),
}


def _in_ids(column: str) -> str:
    """`column IN (the ids of one JSON parameter)`: one statement however many ids."""
    return f'"{column}" IN (SELECT value FROM json_each(?))'


def read_embedded_feed(
    connection: sqlite3.Connection, feed: str, *, cursor: str | None = None, limit: int = 100
) -> dict[str, Any]:
    """One page of a feed, as erp.feeds.read_feed reads it: {"items": [...], "next_cursor": str | None}."""
    check_feed(feed)
    table, to_dict, children = _FEEDS[feed]
    after = decode_cursor(feed, cursor)
    rows = records(connection, table, '"id" > ? ORDER BY "id" LIMIT ?', (after, page_size(limit)))
    ids = json.dumps([row.id for row in rows])
    if children is not None:  # the lines, in line order, as the models' relationships order them
        attribute, child_table, parent_key = children
        by_parent: dict[int, list[Record]] = defaultdict(list)
        for child in records(connection, child_table, f'{_in_ids(parent_key)} ORDER BY "line_no", "id"', (ids,)):
            by_parent[getattr(child, parent_key)].append(child)
        for row in rows:
            setattr(row, attribute, by_parent[row.id])
    if feed == "applications":  # the ERP needs the invoice number, not our row id
        invoice_ids = json.dumps(sorted({row.invoice_id for row in rows}))
        numbers = dict(
            connection.execute(f'SELECT "id", "invoice_number" FROM "invoices" WHERE {_in_ids("id")}', (invoice_ids,))
        )
        items = [application_to_dict(row, numbers.get(row.invoice_id)) for row in rows]
    else:
        items = [to_dict(row) for row in rows]
    return feed_page(feed, rows, items, after=after, cursor=cursor)
