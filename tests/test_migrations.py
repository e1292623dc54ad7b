"""The Alembic migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine

import o2c.core.events  # noqa: F401
import o2c.extraction.models  # noqa: F401
import o2c.intake.models  # noqa: F401
import o2c.ledger.models  # noqa: F401
import o2c.review.models  # noqa: F401
from o2c.core.db import Base
from o2c.migrations.runner import current_revision, upgrade_database


def test_migrations_match_the_models(database_url):
    upgrade_database(database_url)
    upgrade_database(database_url)  # applying twice is a no-op
    assert current_revision(database_url) is not None
    engine = create_engine(database_url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    engine.dispose()
    assert diff == [], f"models changed without a migration: {diff}"


def test_a_database_at_head_is_left_alone_without_alembic(tmp_path, monkeypatch):
    """The embedded default calls upgrade_database on every start: at the head it must not start Alembic."""
    import alembic.command
    from sqlalchemy import text

    from o2c.migrations.runner import script_heads

    url = f"sqlite:///{tmp_path}/o2c.sqlite3"
    upgrade_database(url)
    assert script_heads() == {current_revision(url)}
    calls = []
    monkeypatch.setattr(alembic.command, "upgrade", lambda *args, **kwargs: calls.append(args[1]))
    upgrade_database(url)
    assert calls == []
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = 'older'"))
    engine.dispose()
    upgrade_database(url)
    assert calls == ["head"]


def test_0003_gives_every_awaited_advice_its_expected_payment(database_url):
    """The claims kept before 0003 (advices awaiting their cash, the claim in their outcome) become open expected
    payments; a second claim of the same business key (if a race ever let one in) keeps no key of its own."""
    import json
    from datetime import date
    from decimal import Decimal

    from sqlalchemy import text

    upgrade_database(database_url, "0002_issue10")
    engine = create_engine(database_url)
    claim = {
        "status": "expected",
        "customer_id": "C-1003",
        "amount": "5000.00",
        "currency": "USD",
        "payment_date": "2026-03-17",
        "payment_reference": "ACH-GX-1",
        "business_key": "C-1003|ACHGX1|USD|5000.00|2026-03-17",
        "invoice_references": ["INV-10003"],
    }
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO documents (id, sha256, media_type, filename, size_bytes, channel, received_at, status,"
                " updated_at) VALUES (1, :sha, 'message/rfc822', 'ra.eml', 10, 'email', :at, 'processed', :at)"
            ),
            {"sha": "0" * 64, "at": "2026-03-17 12:00:00"},
        )
        for ident, status in ((1, "awaiting_cash"), (2, "awaiting_cash"), (3, "posted")):
            conn.execute(
                text(
                    "INSERT INTO extractions (id, document_id, part_index, source, document_type, extractor_version,"
                    " payload, confidence, min_confidence, status, outcome, created_at, updated_at) VALUES (:id, 1,"
                    " :id, 'ra.eml', 'remittance_advice', 'v', '{}', '{}', 1.0, :status, :outcome, :at, :at)"
                ),
                {"id": ident, "status": status, "outcome": json.dumps(claim), "at": "2026-03-17 12:00:00"},
            )
    upgrade_database(database_url)
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT source_extraction_id, status, customer_id, currency, amount, payment_date, business_key"
                " FROM expected_payments ORDER BY source_extraction_id"
            )
        ).all()
    engine.dispose()
    assert [(r[0], r[1], r[2], r[3], Decimal(str(r[4]))) for r in rows] == [
        (1, "open", "C-1003", "USD", Decimal("5000.00")),
        (2, "open", "C-1003", "USD", Decimal("5000.00")),
    ]
    assert str(rows[0][5]) == str(date(2026, 3, 17)) and [r[6] for r in rows] == [claim["business_key"], None]


def test_0005_takes_open_amount_out_of_the_invoice_indexes_and_back(database_url):
    """Upgrade: the open-item index is (customer_id, currency), the unused application index is gone and, on
    PostgreSQL, invoices have fillfactor 85; downgrade to 0004 restores both indexes and the default fillfactor."""
    from alembic import command
    from sqlalchemy import inspect, text

    from o2c.migrations.runner import alembic_config

    def state() -> tuple[dict, set, str | None]:
        engine = create_engine(database_url)
        with engine.connect() as conn:
            invoices = {i["name"]: i["column_names"] for i in inspect(conn).get_indexes("invoices")}
            applications = {i["name"] for i in inspect(conn).get_indexes("cash_applications")}
            options = None
            if conn.dialect.name == "postgresql":
                options = conn.execute(
                    text("SELECT array_to_string(reloptions, ',') FROM pg_class WHERE relname = 'invoices'")
                ).scalar()
        engine.dispose()
        return invoices, applications, options

    postgres = database_url.startswith("postgresql")
    upgrade_database(database_url)
    invoices, applications, options = state()
    assert invoices.get("ix_invoices_customer_currency") == ["customer_id", "currency"]
    assert not any("open_amount" in columns for columns in invoices.values())
    assert "ix_cash_applications_created_at" not in applications
    assert options == ("fillfactor=85" if postgres else None)
    command.downgrade(alembic_config(database_url), "0004_invoice_indexes")
    invoices, applications, options = state()
    assert invoices.get("ix_invoices_customer_currency_open") == ["customer_id", "currency", "open_amount"]
    assert "ix_invoices_customer_currency" not in invoices and "ix_cash_applications_created_at" in applications
    assert not options
    upgrade_database(database_url)
    assert state()[0].get("ix_invoices_customer_currency") == ["customer_id", "currency"]
