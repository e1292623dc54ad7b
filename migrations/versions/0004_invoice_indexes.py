"""issue 13: drop the invoice indexes no query uses — every cash application rewrites an invoice (its open amount),
and each index on the table is one more write per application

ix_invoices_customer_id: the prefix of ix_invoices_customer_currency_open serves every look-up by customer;
ix_invoices_open_amount: the same column is in that composite index, and `open_amount > 0` alone (the AR reports)
reads most of the table; ix_invoices_po_number: remittances find invoices by po_key; ix_invoices_created_at: no
query filters or orders invoices by it.

Revision ID: 0004_invoice_indexes
Revises: 0003_expected_payments
"""

from alembic import op

revision = "0004_invoice_indexes"
down_revision = "0003_expected_payments"
branch_labels = None
depends_on = None

DROPPED = {
    "ix_invoices_customer_id": ["customer_id"],
    "ix_invoices_open_amount": ["open_amount"],
    "ix_invoices_po_number": ["po_number"],
    "ix_invoices_created_at": ["created_at"],
}


def upgrade() -> None:
    for name in DROPPED:
        op.drop_index(name, table_name="invoices")


def downgrade() -> None:
    for name, columns in DROPPED.items():
        op.create_index(name, "invoices", columns, unique=False)

