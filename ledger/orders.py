"""Sales orders: validate a draft against master data and policy, then post it (order + invoice) once."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal

from sqlalchemy import bindparam, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from o2c.core.db import insert_rows, is_postgres, unchanged_since_mark
from o2c.core.errors import NotFound
from o2c.core.events import record_event
from o2c.core.money import decimal_str, quantize
from o2c.ledger import lookups
from o2c.ledger.errors import DuplicateOrder, InvoiceNotFound, OrderNotPostable, UnknownCustomer
from o2c.ledger.invoicing import issue_invoice
from o2c.ledger.models import Customer, Invoice, Order, OrderLineRow, Product
from o2c.ledger.policy import LedgerPolicy
from o2c.ledger.pricing import check_line_price, lookup_price
from o2c.ledger.references import po_key

# Reason codes shared with matching and review.
UNKNOWN_CUSTOMER, UNKNOWN_PRODUCT, PRICE_MISMATCH = "unknown_customer", "unknown_product", "price_mismatch"
DUPLICATE_ORDER, CREDIT_HOLD, CUSTOMER_ON_HOLD = "duplicate_order", "credit_hold", "customer_on_hold"
CURRENCY_MISMATCH, AMOUNT_MISMATCH, MISSING_FIELD = "currency_mismatch", "amount_mismatch", "missing_field"
FRACTIONAL_QUANTITY = "fractional_quantity"
LINE_ROUNDING = Decimal("0.01")
# units that are counted, never measured (UN/ECE Rec. 20 codes and the usual spellings): 2.5 of them is a misread
# or a typo, not an order
COUNTED_UNITS = frozenset(
    [
        "EA",
        "EACH",
        "PC",
        "PCS",
        "PCE",
        "PIECE",
        "PIECES",
        "ST",
        "STK",
        "STUCK",
        "STÜCK",
        "UN",
        "UNIT",
        "UNITS",
        "C62",
        "H87",
        "CS",
        "CASE",
        "CT",
        "CTN",
        "CARTON",
        "BX",
        "BOX",
        "PK",
        "PCK",
        "PACK",
        "PKG",
        "PR",
        "PAIR",
        "SET",
        "KIT",
    ]
)


@dataclass(frozen=True)
class DraftLine:
    """One order line ready to post: our SKU, quantity and the price the customer ordered at."""

    sku: str | None
    description: str | None
    quantity: Decimal | None
    uom: str | None
    unit_price: Decimal | None
    amount: Decimal | None


@dataclass
class OrderDraft:
    """An order as matching resolved it, before posting."""

    customer_id: str
    po_number: str | None
    order_date: date | None
    currency: str | None
    ship_to: str | None
    requested_delivery_date: date | None
    lines: list[DraftLine] = field(default_factory=list)
    total: Decimal | None = None

    def lines_total(self) -> Decimal:
        """The sum of the line amounts (quantity x unit price where a line has no amount)."""
        return sum((_line_amount(line) or Decimal("0") for line in self.lines), Decimal("0"))


@dataclass(frozen=True)
class Issue:
    """Why a draft cannot post: a reason code plus the evidence a reviewer needs."""

    reason: str
    evidence: dict


@dataclass(frozen=True)
class PostedOrder:
    """The result of posting: the order and the invoice it produced."""

    order_id: int
    invoice_number: str


def _num(value: Decimal | None) -> str | None:
    """A decimal string with at least two decimals and no further trailing zeros ('4.1000' -> '4.10')."""
    if value is None:
        return None
    value = Decimal(value)
    return decimal_str(quantize(value)) if value == quantize(value) else decimal_str(value.normalize())


def _line_amount(line: DraftLine) -> Decimal | None:
    if line.amount is not None:
        return line.amount
    if line.quantity is None or line.unit_price is None:
        return None
    return quantize(line.quantity * line.unit_price)


def pack_factor(product: Product | None, uom: str | None) -> Decimal:
    """Base units per ordered unit: the product's pack size when the line is in its pack UoM, else 1."""
    if product is None or not uom or not product.pack_uom or not product.pack_size:
        return Decimal("1")
    return Decimal(product.pack_size) if uom.strip().upper() == product.pack_uom.upper() else Decimal("1")


# Statements every posted order runs, built once (building one and its cache key costs the ORM more than SQLite
# takes to answer it); values come in as parameters.
_CUSTOMER = (
    select(Customer).where(Customer.customer_id == bindparam("customer_id")).execution_options(populate_existing=True)
)
_CUSTOMER_LOCKED = _CUSTOMER.with_for_update()
_OPEN_AR = select(func.sum(Invoice.open_amount)).where(
    Invoice.customer_id == bindparam("customer_id"),
    Invoice.currency == bindparam("currency"),
    Invoice.open_amount > 0,
)
_ORDER_OF_SOURCE = select(Order).where(Order.source_extraction_id == bindparam("source_extraction_id"))
_INVOICE_OF_ORDER = select(Invoice.invoice_number).where(Invoice.order_id == bindparam("order_id"))
# the order a PO was posted as before: by its key, or (a PO number without one) where the key is NULL
_ORIGINAL_ORDER = select(Order.id, Order.total).where(
    Order.customer_id == bindparam("customer_id"),
    (Order.po_key == bindparam("po_key")) | (Order.po_number == bindparam("po_number")),
)
_ORIGINAL_ORDER_UNKEYED = select(Order.id, Order.total).where(
    Order.customer_id == bindparam("customer_id"),
    Order.po_key.is_(None) | (Order.po_number == bindparam("po_number")),
)


def lock_customer(session: Session, customer_id: str) -> Customer | None:
    """The customer's master row under a row lock (PostgreSQL; SQLite serializes writers itself), held until
    the posting transaction ends: open AR + order must be read and written by one poster at a time."""
    stmt = _CUSTOMER_LOCKED if is_postgres(session) else _CUSTOMER
    return session.scalar(stmt, {"customer_id": customer_id})


def open_receivables(session: Session, customer_id: str, currency: str) -> Decimal:
    """The customer's open AR in a currency."""
    total = session.scalar(_OPEN_AR, {"customer_id": customer_id, "currency": currency})
    return Decimal(total or 0)


_VALIDATED = "o2c.validated_order"


def validate_order(
    session: Session, draft: OrderDraft, policy: LedgerPolicy, *, on_date: date | None = None
) -> list[Issue]:
    """Every reason the draft may not post (empty list = postable). Prices are checked on the order date.

    Deciding validates a draft and posting validates it again under the customer's lock. On SQLite the whole
    transaction holds the database's write lock, so when nothing was written in between (same mark), the same
    draft on the same date under the same policy gets the answer already found; PostgreSQL always reads again."""
    mark = unchanged_since_mark(session)
    if mark is None or on_date is None:
        return _validate_order(session, draft, policy, on_date=on_date)
    key = (_draft_key(draft), on_date, policy)
    remembered = session.info.get(_VALIDATED)
    if (
        remembered is not None
        and remembered[0] == key
        and remembered[1][0] is mark[0]
        and remembered[1][1] == mark[1]
        and not (session.new or session.dirty or session.deleted)  # pending writes: a read would flush them
    ):
        return [Issue(issue.reason, dict(issue.evidence)) for issue in remembered[2]]
    issues = _validate_order(session, draft, policy, on_date=on_date)
    after = unchanged_since_mark(session)  # (its reads may have flushed pending writes)
    session.info[_VALIDATED] = (key, after, [Issue(issue.reason, dict(issue.evidence)) for issue in issues])
    return issues


def _draft_key(draft: OrderDraft) -> tuple:
    return (
        draft.customer_id,
        draft.po_number,
        draft.order_date,
        draft.currency,
        draft.ship_to,
        draft.requested_delivery_date,
        tuple(draft.lines),
        draft.total,
    )


def _validate_order(session: Session, draft: OrderDraft, policy: LedgerPolicy, *, on_date: date | None) -> list[Issue]:
    customer = lookups.customer(session, draft.customer_id)
    if customer is None:
        return [
            Issue(
                UNKNOWN_CUSTOMER,
                {
                    "field": "order.customer_id",
                    "read": draft.customer_id,
                    "rule": "customer must exist in master data",
                },
            )
        ]
    issues: list[Issue] = []
    currency = draft.currency or customer.currency
    skus = {line.sku for line in draft.lines if line.sku}
    lookups.prefetch_products(session, skus)  # every line's product and contract rows in two queries
    lookups.prefetch_contract_prices(session, customer.customer_id, skus)
    if customer.on_hold:
        issues.append(
            Issue(
                CUSTOMER_ON_HOLD,
                {
                    "field": "order.customer_id",
                    "read": customer.customer_id,
                    "rule": "customer is on hold in master data",
                },
            )
        )
    if currency != customer.currency:
        issues.append(
            Issue(
                CURRENCY_MISMATCH,
                {
                    "field": "order.currency",
                    "read": currency,
                    "expected": customer.currency,
                    "rule": "customer currency",
                },
            )
        )
    if not draft.po_number:
        issues.append(Issue(MISSING_FIELD, {"field": "order.po_number", "read": None, "rule": "PO number required"}))
    else:
        key = po_key(draft.po_number) or None
        original = session.execute(
            _ORIGINAL_ORDER if key is not None else _ORIGINAL_ORDER_UNKEYED,
            {"customer_id": customer.customer_id, "po_key": key, "po_number": draft.po_number},
        ).first()
        if original is not None:
            issues.append(
                Issue(
                    DUPLICATE_ORDER,
                    {
                        "field": "order.po_number",
                        "read": draft.po_number,
                        "rule": f"PO already posted for {customer.customer_id}",
                        "original_order_id": original.id,
                        "original_total": _num(original.total),
                    },
                )
            )
    if not draft.lines:
        issues.append(Issue(MISSING_FIELD, {"field": "order.lines", "read": None, "rule": "an order needs lines"}))
    price_date = draft.order_date or on_date or date.today()
    for index, line in enumerate(draft.lines):
        issues.extend(_line_issues(session, customer, currency, index, line, price_date, policy))
    lines_total = draft.lines_total()
    if draft.total is not None and draft.lines and abs(draft.total - lines_total) > LINE_ROUNDING:
        issues.append(
            Issue(
                AMOUNT_MISMATCH,
                {
                    "field": "order.total",
                    "read": _num(draft.total),
                    "expected": _num(lines_total),
                    "rule": "sum of line amounts",
                },
            )
        )
    if customer.credit_limit is not None:
        exposure = quantize(lines_total * (1 + policy.tax_rate), policy.rounding)
        open_ar = open_receivables(session, customer.customer_id, customer.currency)
        if open_ar + exposure > customer.credit_limit:
            issues.append(
                Issue(
                    CREDIT_HOLD,
                    {
                        "field": "order.total",
                        "read": _num(exposure),
                        "expected": _num(customer.credit_limit),
                        "rule": f"open AR {_num(open_ar)} + order {_num(exposure)} > credit limit",
                    },
                )
            )
    return issues


def _line_issues(
    session: Session,
    customer: Customer,
    currency: str,
    index: int,
    line: DraftLine,
    price_date: date,
    policy: LedgerPolicy,
) -> list[Issue]:
    path = f"order.lines[{index}]"
    product = lookups.product(session, line.sku) if line.sku else None
    if product is None:
        return [Issue(UNKNOWN_PRODUCT, {"field": f"{path}.sku", "read": line.sku, "rule": "SKU must exist"})]
    issues: list[Issue] = []
    for name in ("quantity", "unit_price"):
        if getattr(line, name) is None:
            issues.append(Issue(MISSING_FIELD, {"field": f"{path}.{name}", "read": None, "rule": "required"}))
    if issues or line.quantity is None or line.unit_price is None:  # (the loop flagged a None)
        return issues
    if line.quantity <= 0:
        return [
            Issue(
                MISSING_FIELD,
                {
                    "field": f"{path}.quantity",
                    "read": _num(line.quantity),
                    "rule": "quantity must be positive",
                },
            )
        ]
    unit = (line.uom or product.uom or "").strip().upper().rstrip(".")
    if unit in COUNTED_UNITS and line.quantity != line.quantity.to_integral_value():
        return [
            Issue(
                FRACTIONAL_QUANTITY,
                {
                    "field": f"{path}.quantity",
                    "read": _num(line.quantity),
                    "rule": f"{unit} is counted in whole units",
                },
            )
        ]
    factor = pack_factor(product, line.uom)
    expected = lookup_price(
        session,
        customer_id=customer.customer_id,
        sku=product.sku,
        quantity=line.quantity * factor,
        on_date=price_date,
    )
    if expected is None:  # the product exists, so its list price does
        raise NotFound(f"no price for {product.sku}")
    if factor != 1:  # ordered in packs: compare the pack price
        expected = replace(
            expected,
            unit_price=expected.unit_price * factor,
            rule=f"{expected.rule} x {_num(factor)} {product.uom} per {product.pack_uom}",
        )
    if expected.source == "list" and product.currency != currency:
        issues.append(
            Issue(
                CURRENCY_MISMATCH,
                {
                    "field": f"{path}.unit_price",
                    "read": currency,
                    "expected": product.currency,
                    "rule": f"list price {product.sku}",
                },
            )
        )
    check = check_line_price(
        line.unit_price,
        expected.unit_price,
        policy.price_tolerance_abs,
        policy.price_tolerance_pct,
        quantity=line.quantity,
        line_cap=policy.price_tolerance_line_cap,
    )
    if not check.ok:
        issues.append(
            Issue(
                PRICE_MISMATCH,
                {
                    "field": f"{path}.unit_price",
                    "read": _num(line.unit_price),
                    "expected": _num(expected.unit_price),
                    "difference": _num(check.difference),
                    "line_difference": _num(check.difference * line.quantity),
                    "rule": expected.rule
                    + (f"; line cap {_num(policy.price_tolerance_line_cap)}" if check.capped else ""),
                },
            )
        )
    computed = quantize(line.quantity * line.unit_price)
    if line.amount is not None and abs(line.amount - computed) > LINE_ROUNDING:
        issues.append(
            Issue(
                AMOUNT_MISMATCH,
                {
                    "field": f"{path}.amount",
                    "read": _num(line.amount),
                    "expected": _num(computed),
                    "rule": "quantity x unit price",
                },
            )
        )
    return issues


def price_variances(session: Session, draft: OrderDraft, on_date: date) -> list[dict]:
    """Per line: expected price, price found, difference and the rule that gave the expected price."""
    out = []
    for index, line in enumerate(draft.lines):
        if line.sku is None or line.quantity is None or line.unit_price is None:  # validate_order refuses these
            raise OrderNotPostable(f"order line {index} lacks its SKU, quantity or unit price", line=index)
        factor = pack_factor(lookups.product(session, line.sku), line.uom)
        applied = lookup_price(
            session, customer_id=draft.customer_id, sku=line.sku, quantity=line.quantity * factor, on_date=on_date
        )
        if applied is None:
            raise NotFound(f"no price for {line.sku}")
        if factor != 1:
            applied = replace(applied, unit_price=applied.unit_price * factor, rule=f"{applied.rule} x {_num(factor)}")
        out.append(
            {
                "line": index,
                "sku": line.sku,
                "expected": _num(applied.unit_price),
                "found": _num(line.unit_price),
                "difference": _num(line.unit_price - applied.unit_price),
                "rule": applied.rule,
            }
        )
    return out


def _existing(session: Session, source_extraction_id: int | None) -> PostedOrder | None:
    if source_extraction_id is None:
        return None
    order = session.scalar(_ORDER_OF_SOURCE, {"source_extraction_id": source_extraction_id})
    if order is None:
        return None
    number = session.scalar(_INVOICE_OF_ORDER, {"order_id": order.id})
    if number is None:  # an order and its invoice are posted in one transaction
        raise InvoiceNotFound(f"order {order.id} has no invoice")
    return PostedOrder(order.id, number)


def post_order(
    session: Session,
    draft: OrderDraft,
    *,
    source_extraction_id: int | None,
    policy: LedgerPolicy,
    today: date,
) -> PostedOrder:
    """Post a valid draft as an order and issue its invoice; the same source_extraction_id posts only once."""
    done = _existing(session, source_extraction_id)
    if done is not None:
        return done
    # the customer's row lock serializes the credit check: two workers never both fit under one limit
    lock_customer(session, draft.customer_id)
    issues = validate_order(session, draft, policy, on_date=today)
    if any(issue.reason == DUPLICATE_ORDER for issue in issues):
        raise DuplicateOrder(
            f"PO {draft.po_number} already posted for {draft.customer_id}",
            customer_id=draft.customer_id,
            po_number=draft.po_number,
        )
    if issues:
        raise OrderNotPostable(
            "order fails validation",
            reasons=[i.reason for i in issues],
            evidence=[i.evidence for i in issues],
        )
    customer = lookups.customer(session, draft.customer_id)
    if customer is None:  # validate_order refuses an unknown customer
        raise UnknownCustomer(f"unknown customer {draft.customer_id}", customer_id=draft.customer_id)
    order_date = draft.order_date or today
    order = Order(
        customer_id=draft.customer_id,
        po_number=draft.po_number,
        order_date=draft.order_date,
        requested_delivery_date=draft.requested_delivery_date,
        currency=draft.currency or customer.currency,
        ship_to=draft.ship_to,
        total=draft.lines_total(),
        source_extraction_id=source_extraction_id,
        price_variances=price_variances(session, draft, order_date),
    )
    try:
        with session.begin_nested():
            session.add(order)
            session.flush()
            # the lines in one statement (the ORM would insert them one by one to read each id back)
            lines = [
                {
                    "order_id": order.id,
                    "line_no": i + 1,
                    "sku": ln.sku,
                    "description": ln.description,
                    "quantity": ln.quantity,
                    "uom": ln.uom,
                    "unit_price": ln.unit_price,
                    "amount": _line_amount(ln),
                }
                for i, ln in enumerate(draft.lines)
            ]
            insert_rows(session, OrderLineRow.__table__, lines)
    except IntegrityError as exc:
        # lost a race: either the same extraction posted concurrently (return it) or the PO did (refuse)
        done = _existing(session, source_extraction_id)
        if done is not None:
            return done
        raise DuplicateOrder(
            f"PO {draft.po_number} already posted for {draft.customer_id}",
            customer_id=draft.customer_id,
            po_number=draft.po_number,
        ) from exc
    invoice = issue_invoice(session, order, policy=policy, today=today, new_order=True)
    record_event(
        session,
        "order.posted",
        "order",
        order.id,
        po_number=order.po_number,
        invoice_number=invoice.invoice_number,
    )
    return PostedOrder(order.id, invoice.invoice_number)
