"""issue 14: expected payments — an advice awaiting its bank credit gets an indexed home (unique business key
among open claims), filled from the awaiting advices' outcomes

Revision ID: 0003_expected_payments
Revises: 0002_issue10
"""
from datetime import UTC, date, datetime
from decimal import Decimal

import sqlalchemy as sa
from alembic import op

revision = "0003_expected_payments"
down_revision = "0002_issue10"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "expected_payments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_extraction_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("amount", sa.Numeric(precision=19, scale=4), nullable=False),
        sa.Column("payment_date", sa.Date(), nullable=True),
        sa.Column("payment_reference", sa.String(length=128), nullable=True),
        sa.Column("business_key", sa.String(length=255), nullable=True),
        sa.Column("invoice_references", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_expected_payments")),
        sa.UniqueConstraint("source_extraction_id", name=op.f("uq_expected_payments_source_extraction_id")),
    )
    with op.batch_alter_table("expected_payments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_expected_payments_customer_id"), ["customer_id"], unique=False)
        batch_op.create_index("ix_expected_payments_open_amount", ["status", "currency", "amount"], unique=False)
        batch_op.create_index(
            "uq_expected_payments_open_business_key",
            ["business_key"],
            unique=True,
            sqlite_where=sa.text("status = 'open'"),
            postgresql_where=sa.text("status = 'open'"),
        )

    # the claims kept so far: every advice awaiting its cash, from its stored outcome (the first of a business
    # key keeps it; a later one, if a race ever let one in, stays findable by amount)
    conn = op.get_bind()
    extractions = sa.table(
        "extractions", sa.column("id", sa.Integer), sa.column("status", sa.String), sa.column("outcome", sa.JSON)
    )
    expected = sa.table(
        "expected_payments",
        *(sa.column(name) for name in ("source_extraction_id", "status", "customer_id", "currency")),
        sa.column("amount", sa.Numeric(19, 4)),
        sa.column("payment_date", sa.Date),
        sa.column("payment_reference", sa.String),
        sa.column("business_key", sa.String),
        sa.column("invoice_references", sa.JSON),
        sa.column("created_at", sa.DateTime(timezone=True)),
    )
    seen: set[str] = set()
    rows = conn.execute(
        sa.select(extractions.c.id, extractions.c.outcome)
        .where(extractions.c.status == "awaiting_cash")
        .order_by(extractions.c.id)
    ).all()
    for ident, outcome in rows:
        claim = outcome or {}
        key = claim.get("business_key")
        if key in seen:
            key = None
        elif key:
            seen.add(key)
        conn.execute(
            expected.insert().values(
                source_extraction_id=ident,
                status="open",
                customer_id=claim.get("customer_id"),
                currency=claim.get("currency") or "",
                amount=Decimal(claim.get("amount") or "0"),
                payment_date=date.fromisoformat(claim["payment_date"]) if claim.get("payment_date") else None,
                payment_reference=claim.get("payment_reference"),
                business_key=key,
                invoice_references=list(claim.get("invoice_references") or []),
                created_at=datetime.now(UTC),
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("expected_payments", schema=None) as batch_op:
        batch_op.drop_index("uq_expected_payments_open_business_key")
        batch_op.drop_index("ix_expected_payments_open_amount")
        batch_op.drop_index(batch_op.f("ix_expected_payments_customer_id"))
    op.drop_table("expected_payments")
