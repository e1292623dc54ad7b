"""issue 10: normalized PO key and payment business key (unique), ERP-settled part of imported invoices

Revision ID: 0002_issue10
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

from o2c.ledger.references import po_key

revision = "0002_issue10"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("po_key", sa.String(length=128), nullable=True))
    conn = op.get_bind()
    orders = sa.table("orders", sa.column("id", sa.Integer), sa.column("po_number", sa.String),
                      sa.column("po_key", sa.String))
    for ident, number in conn.execute(sa.select(orders.c.id, orders.c.po_number)).all():
        conn.execute(orders.update().where(orders.c.id == ident).values(po_key=po_key(number) or None))
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.create_unique_constraint(batch_op.f("uq_orders_customer_id_po_key"), ["customer_id", "po_key"])

    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("trust_advices", sa.Boolean(), nullable=False, server_default="0"))
    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.add_column(sa.Column("settled_elsewhere", sa.Numeric(precision=19, scale=4), nullable=False,
                                      server_default="0"))
    # what the ERP had settled before o2c saw an imported invoice: amount - open - o2c's live applications
    conn.execute(sa.text(
        "UPDATE invoices SET settled_elsewhere = amount - open_amount - COALESCE(("
        " SELECT SUM(a.amount + a.discount) FROM cash_applications a WHERE a.invoice_id = invoices.id"
        " AND a.reversed_by_id IS NULL AND a.rule != 'reversal'), 0) WHERE origin = 'imported'"))

    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reference_key", sa.String(length=128), nullable=True))
        batch_op.add_column(sa.Column("business_key", sa.String(length=255), nullable=True))
        batch_op.create_index(batch_op.f("ix_payments_reference_key"), ["reference_key"], unique=False)
        batch_op.create_unique_constraint(batch_op.f("uq_payments_business_key"), ["business_key"])
        batch_op.create_check_constraint("unapplied_within_amount", "unapplied_amount <= amount")


def downgrade() -> None:
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.drop_constraint("ck_payments_unapplied_within_amount", type_="check")
        batch_op.drop_constraint(batch_op.f("uq_payments_business_key"), type_="unique")
        batch_op.drop_index(batch_op.f("ix_payments_reference_key"))
        batch_op.drop_column("business_key")
        batch_op.drop_column("reference_key")
    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.drop_column("settled_elsewhere")
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.drop_column("trust_advices")
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_orders_customer_id_po_key"), type_="unique")
        batch_op.drop_column("po_key")
