"""Ledger tables. Money is NUMERIC(19, 4) and Decimal; every posting has a unique idempotency key.

The ledger knows nothing of intake: documents are referred to by plain ids (source_extraction_id)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    DDL,
    JSON,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    event,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from o2c.core.db import Base, ExactNumeric, utcnow
from o2c.ledger.names import sku_key
from o2c.ledger.references import normalize_reference, po_key
from o2c.ledger.references import ocr_key as reference_ocr_key

NUM = ExactNumeric()


class Customer(Base):
    """A customer from the ERP's master data."""

    __tablename__ = "customers"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(256))
    aliases: Mapped[list] = mapped_column(JSON, default=list)
    email_domains: Mapped[list] = mapped_column(JSON, default=list)
    address: Mapped[str | None] = mapped_column(Text)
    credit_limit: Mapped[Decimal | None] = mapped_column(NUM)
    currency: Mapped[str] = mapped_column(String(3))
    payment_terms: Mapped[str | None] = mapped_column(String(64))
    on_hold: Mapped[bool] = mapped_column(default=False)
    # no bank feed for this customer: its remittance advices may post as cash, when they come from an
    # authenticated sender (docs/cash-model.md); otherwise an advice is only a claim awaiting the bank credit
    trust_advices: Mapped[bool] = mapped_column(default=False, server_default="0")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Product(Base):
    """A product (SKU) with its list price."""

    __tablename__ = "products"

    id: Mapped[int] = mapped_column(primary_key=True)
    sku: Mapped[str] = mapped_column(String(64), unique=True)
    description: Mapped[str] = mapped_column(String(512))
    uom: Mapped[str] = mapped_column(String(16), default="EA")
    unit_price: Mapped[Decimal] = mapped_column(NUM)
    currency: Mapped[str] = mapped_column(String(3))
    # sku_key(sku), indexed so 'brg 6204-2rs' finds 'BRG-6204-2RS' in one query
    sku_key: Mapped[str | None] = mapped_column(String(64), index=True)
    # a pack unit the product is also ordered in ('CS' of 12 'EA'); prices stay per base unit (uom)
    pack_uom: Mapped[str | None] = mapped_column(String(16))
    pack_size: Mapped[Decimal | None] = mapped_column(NUM)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    @validates("sku")
    def _set_sku_key(self, _key, value: str) -> str:
        self.sku_key = sku_key(value)
        return value


class ContractPrice(Base):
    """A customer's contract price for a SKU from a minimum quantity, valid in a date window."""

    __tablename__ = "contract_prices"
    __table_args__ = (UniqueConstraint("customer_id", "sku", "min_quantity", "valid_from"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[str] = mapped_column(String(64), index=True)
    sku: Mapped[str] = mapped_column(String(64), index=True)
    unit_price: Mapped[Decimal] = mapped_column(NUM)
    min_quantity: Mapped[Decimal] = mapped_column(NUM, default=Decimal("0"))
    valid_from: Mapped[date | None]
    valid_to: Mapped[date | None]


class CustomerPartNumber(Base):
    """A customer's own part number for one of our SKUs (grown by reviewer resolutions)."""

    __tablename__ = "customer_part_numbers"
    __table_args__ = (UniqueConstraint("customer_id", "part_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[str] = mapped_column(String(64))
    part_number: Mapped[str] = mapped_column(String(128))
    sku: Mapped[str] = mapped_column(String(64))
    provenance: Mapped[str | None] = mapped_column(String(256))


class CustomerAlias(Base):
    """Another name a customer goes by on documents (a payer name, a buyer name), learned from a reviewer's choice
    or given by master data; `active` = False retires it without losing its history."""

    __tablename__ = "customer_aliases"
    __table_args__ = (UniqueConstraint("alias_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[str] = mapped_column(String(64), index=True)
    alias: Mapped[str] = mapped_column(String(256))
    alias_key: Mapped[str] = mapped_column(String(256))  # normalized for lookup (casefolded, legal forms removed)
    provenance: Mapped[str | None] = mapped_column(String(256))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Order(Base):
    """A posted sales order. (customer_id, po_key) is unique: a PO never posts twice, however it is spelt
    ('PO-45821', '045821' and '45821 ' are one PO)."""

    __tablename__ = "orders"
    __table_args__ = (UniqueConstraint("customer_id", "po_number"), UniqueConstraint("customer_id", "po_key"))

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[str] = mapped_column(String(64), index=True)
    po_number: Mapped[str] = mapped_column(String(128))
    po_key: Mapped[str | None] = mapped_column(String(128))  # ledger.references.po_key(po_number)
    order_date: Mapped[date | None]
    requested_delivery_date: Mapped[date | None]
    currency: Mapped[str] = mapped_column(String(3))
    ship_to: Mapped[str | None] = mapped_column(Text)
    total: Mapped[Decimal] = mapped_column(NUM)
    status: Mapped[str] = mapped_column(String(16), default="posted")
    source_extraction_id: Mapped[int | None] = mapped_column(Integer, unique=True)
    price_variances: Mapped[list] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    @validates("po_number")
    def _set_po_key(self, _key, value: str) -> str:
        self.po_key = po_key(value) or None
        return value

    lines: Mapped[list[OrderLineRow]] = relationship(
        back_populates="order", order_by="OrderLineRow.line_no", cascade="all, delete-orphan"
    )


class OrderLineRow(Base):
    """One line of a posted order."""

    __tablename__ = "order_lines"
    __table_args__ = (UniqueConstraint("order_id", "line_no"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    line_no: Mapped[int] = mapped_column(Integer)
    sku: Mapped[str] = mapped_column(String(64))
    description: Mapped[str | None] = mapped_column(String(512))
    quantity: Mapped[Decimal] = mapped_column(NUM)
    uom: Mapped[str | None] = mapped_column(String(16))
    unit_price: Mapped[Decimal] = mapped_column(NUM)
    amount: Mapped[Decimal] = mapped_column(NUM)

    order: Mapped[Order] = relationship(back_populates="lines")


class NumberSequence(Base):
    """A gap-free number sequence (invoice numbers); incremented under a row lock in the posting transaction."""

    __tablename__ = "number_sequences"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    prefix: Mapped[str] = mapped_column(String(16))
    next_value: Mapped[int] = mapped_column(Integer, default=1)


class Invoice(Base):
    """An open or settled receivable: issued by o2c or imported from the ERP's open AR."""

    __tablename__ = "invoices"
    __table_args__ = (
        CheckConstraint("open_amount >= 0", name="open_not_negative"),
        CheckConstraint("open_amount <= amount", name="open_within_amount"),
        # one customer's open items (in a currency): the rows are found by customer and currency and open_amount
        # is filtered on them. open_amount is in no index (nor in a partial index's predicate), so the UPDATE of
        # a cash application is a HOT update on PostgreSQL (fillfactor 85 leaves the page room for it) and writes
        # no index; the table has only the indexes a query uses (migrations 0004 and 0005).
        Index("ix_invoices_customer_currency", "customer_id", "currency"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_number: Mapped[str] = mapped_column(String(64), unique=True)
    # normalize_reference(invoice_number), indexed so a printed reference finds its invoice in one query.
    reference_key: Mapped[str | None] = mapped_column(String(64), index=True)
    # ocr_key(invoice_number): a reference garbled by OCR (O/0, I/1, S/5, B/8) finds it in one query
    ocr_key: Mapped[str | None] = mapped_column(String(64), index=True)
    customer_id: Mapped[str] = mapped_column(String(64))  # ix_invoices_customer_currency
    invoice_date: Mapped[date]
    due_date: Mapped[date | None]
    amount: Mapped[Decimal] = mapped_column(NUM)
    tax_amount: Mapped[Decimal] = mapped_column(NUM, default=Decimal("0"))
    open_amount: Mapped[Decimal] = mapped_column(NUM)
    currency: Mapped[str] = mapped_column(String(3))
    po_number: Mapped[str | None] = mapped_column(String(128))  # looked up by po_key
    po_key: Mapped[str | None] = mapped_column(String(128), index=True)  # normalize_reference(po_number)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"), unique=True)
    payment_terms: Mapped[str | None] = mapped_column(String(64))
    origin: Mapped[str] = mapped_column(String(16), default="issued")  # issued | imported
    # what the ERP had already settled when it handed the invoice over (amount - open amount at import): the
    # invoice's open amount is amount - settled_elsewhere - o2c's applications and discounts (ledger/check.py)
    settled_elsewhere: Mapped[Decimal] = mapped_column(NUM, default=Decimal("0"), server_default="0")
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __mapper_args__ = {"version_id_col": version}

    @validates("invoice_number")
    def _set_reference_key(self, _key, value: str) -> str:
        self.reference_key = normalize_reference(value)
        self.ocr_key = reference_ocr_key(value)
        return value

    @validates("po_number")
    def _set_po_key(self, _key, value: str | None) -> str | None:
        self.po_key = normalize_reference(value) or None
        return value


# free space on every page for the cash application's UPDATE to stay on its page (HOT): created with the table
# (create_all), set by migration 0005 on an existing database
event.listen(
    Invoice.__table__,
    "after_create",
    DDL("ALTER TABLE %(fullname)s SET (fillfactor = 85)").execute_if(dialect="postgresql"),
)


class Payment(Base):
    """Cash received, as told by a remittance advice (or a bank line); unapplied_amount stays on account.

    `business_key` (payer, payment reference key, amount, date; None without a reference) is unique: the same
    payment arriving by a second channel can never post twice."""

    __tablename__ = "payments"
    __table_args__ = (
        CheckConstraint("unapplied_amount >= 0", name="unapplied_not_negative"),
        CheckConstraint("unapplied_amount <= amount", name="unapplied_within_amount"),
        UniqueConstraint("business_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[str | None] = mapped_column(String(64), index=True)
    payer_name: Mapped[str | None] = mapped_column(String(256))
    payment_date: Mapped[date | None]
    payment_reference: Mapped[str | None] = mapped_column(String(128))
    reference_key: Mapped[str | None] = mapped_column(String(128), index=True)  # payment_reference_key(reference)
    business_key: Mapped[str | None] = mapped_column(String(255))
    payment_method: Mapped[str | None] = mapped_column(String(32))
    currency: Mapped[str] = mapped_column(String(3))
    amount: Mapped[Decimal] = mapped_column(NUM)
    unapplied_amount: Mapped[Decimal] = mapped_column(NUM)
    source_extraction_id: Mapped[int | None] = mapped_column(Integer, unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    items: Mapped[list[RemittanceLine]] = relationship(
        back_populates="payment", order_by="RemittanceLine.line_no", cascade="all, delete-orphan"
    )


CLAIM_OPEN, CLAIM_CLOSED = "open", "closed"  # an ExpectedPayment's status


class ExpectedPayment(Base):
    """Cash a remittance advice announced that no bank credit has confirmed yet: a claim (docs/cash-model.md).

    Kept open until a bank credit confirms it (then closed). Among open claims the business key (payer,
    payment reference key, amount, date) is unique, so the same claim arriving twice, even from two racing
    transactions, is kept once; a bank credit finds its claim by currency and amount through an index."""

    __tablename__ = "expected_payments"
    __table_args__ = (
        Index(
            "uq_expected_payments_open_business_key",
            "business_key",
            unique=True,
            sqlite_where=text(f"status = '{CLAIM_OPEN}'"),
            postgresql_where=text(f"status = '{CLAIM_OPEN}'"),
        ),
        Index("ix_expected_payments_open_amount", "status", "currency", "amount"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source_extraction_id: Mapped[int] = mapped_column(Integer, unique=True)
    status: Mapped[str] = mapped_column(String(16), default=CLAIM_OPEN)
    customer_id: Mapped[str | None] = mapped_column(String(64), index=True)
    currency: Mapped[str] = mapped_column(String(3))
    amount: Mapped[Decimal] = mapped_column(NUM)
    payment_date: Mapped[date | None]
    payment_reference: Mapped[str | None] = mapped_column(String(128))
    business_key: Mapped[str | None] = mapped_column(String(255))
    invoice_references: Mapped[list] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None]


class RemittanceLine(Base):
    """One item of the remittance that explains a payment."""

    __tablename__ = "remittance_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payments.id"), index=True)
    line_no: Mapped[int] = mapped_column(Integer)
    invoice_reference: Mapped[str | None] = mapped_column(String(128))
    amount_paid: Mapped[Decimal | None] = mapped_column(NUM)
    discount: Mapped[Decimal | None] = mapped_column(NUM)
    invoice_amount: Mapped[Decimal | None] = mapped_column(NUM)

    payment: Mapped[Payment] = relationship(back_populates="items")


class CashApplication(Base):
    """Part of a payment applied to an invoice (plus any discount taken). Reversed, never edited."""

    __tablename__ = "cash_applications"
    __table_args__ = (
        UniqueConstraint("idempotency_key"),
        CheckConstraint("amount >= 0", name="amount_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payments.id"), index=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(NUM)
    discount: Mapped[Decimal] = mapped_column(NUM, default=Decimal("0"))
    rule: Mapped[str] = mapped_column(String(64))
    idempotency_key: Mapped[str] = mapped_column(String(128))
    reversed_by_id: Mapped[int | None] = mapped_column(ForeignKey("cash_applications.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)  # no query filters by it (migration 0005)


class Deduction(Base):
    """A short pay (or an unearned discount) left open on an invoice for follow-up; never a silent write-off.

    The invoice keeps the deducted amount open; `status` moves open -> resolved (credit note, rebill) by a person."""

    __tablename__ = "deductions"
    __table_args__ = (
        UniqueConstraint("idempotency_key"),
        CheckConstraint("amount > 0", name="amount_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payments.id"), index=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"), index=True)
    customer_id: Mapped[str | None] = mapped_column(String(64), index=True)
    amount: Mapped[Decimal] = mapped_column(NUM)
    currency: Mapped[str] = mapped_column(String(3))
    reason_code: Mapped[str] = mapped_column(String(32))  # short_payment | unearned_discount | ...
    note: Mapped[str | None] = mapped_column(String(512))
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    idempotency_key: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class JournalEntry(Base):
    """A balanced double-entry posting; immutable once written, corrected only by a reversing entry."""

    __tablename__ = "journal_entries"
    __table_args__ = (UniqueConstraint("idempotency_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    idempotency_key: Mapped[str] = mapped_column(String(128))
    entry_date: Mapped[date]
    memo: Mapped[str | None] = mapped_column(String(512))
    reverses_id: Mapped[int | None] = mapped_column(ForeignKey("journal_entries.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    lines: Mapped[list[JournalLine]] = relationship(back_populates="entry", cascade="all, delete-orphan")


class JournalLine(Base):
    """One side of a journal entry: an account debited or credited in one currency."""

    __tablename__ = "journal_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("journal_entries.id"), index=True)
    account: Mapped[str] = mapped_column(String(32))
    customer_id: Mapped[str | None] = mapped_column(String(64))
    debit: Mapped[Decimal] = mapped_column(NUM, default=Decimal("0"))
    credit: Mapped[Decimal] = mapped_column(NUM, default=Decimal("0"))
    currency: Mapped[str] = mapped_column(String(3))

    entry: Mapped[JournalEntry] = relationship(back_populates="lines")


class BankCredit(Base):
    """A credit line of an imported bank statement: the cash itself. `line_key` (account, bank reference or
    end-to-end id, amount, value date, occurrence) is unique, so a statement imported twice adds nothing twice;
    `payment_id` is the Payment the credit became or was linked to (one credit per payment)."""

    __tablename__ = "bank_credits"
    __table_args__ = (
        UniqueConstraint("line_key"),
        UniqueConstraint("payment_id"),
        CheckConstraint("amount > 0", name="bank_credit_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    line_key: Mapped[str] = mapped_column(String(255))
    account: Mapped[str] = mapped_column(String(64), index=True)
    statement_format: Mapped[str] = mapped_column(String(32))
    statement_id: Mapped[str | None] = mapped_column(String(64))
    source_document_id: Mapped[int | None] = mapped_column(Integer, index=True)
    currency: Mapped[str] = mapped_column(String(3))
    amount: Mapped[Decimal] = mapped_column(NUM)
    value_date: Mapped[date | None]
    booking_date: Mapped[date | None]
    payer_name: Mapped[str | None] = mapped_column(String(256))
    payer_account: Mapped[str | None] = mapped_column(String(64))
    remittance_info: Mapped[str | None] = mapped_column(Text)
    remittance_references: Mapped[list] = mapped_column(JSON, default=list)  # structured: [{reference, amount}]
    end_to_end_id: Mapped[str | None] = mapped_column(String(128))
    bank_reference: Mapped[str | None] = mapped_column(String(128))
    status: Mapped[str] = mapped_column(String(16), default="unmatched", index=True)
    customer_id: Mapped[str | None] = mapped_column(String(64), index=True)
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payments.id"))
    rule: Mapped[str | None] = mapped_column(String(64))
    reasons: Mapped[list] = mapped_column(JSON, default=list)
    review_item_id: Mapped[int | None] = mapped_column(Integer)
    received_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    decided_at: Mapped[datetime | None]
