"""Master data read once per transaction: a customer by id, a product by SKU, a customer's contract price rows.

Deciding one order reads the same rows several times (matching resolves and validates, posting validates
again under the customer's lock, then records the price variances). Inside one transaction those reads see
the same master data, so each is answered from a memo kept on the session. The memo is dropped when the
transaction ends, when it or a savepoint rolls back (a released savepoint keeps it), whenever the session holds
a pending (added, changed or deleted) customer, product or contract price, and on any UPDATE/DELETE/INSERT
statement, so a read never returns a row older than the transaction's own view of it.
Credit exposure, duplicates and open amounts are never memoised: they are read fresh where they are checked."""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, event, select
from sqlalchemy.orm import ORMExecuteState, Session

from o2c.ledger.models import ContractPrice, Customer, Product

_MEMO = "o2c.master_data_memo"
_MISSING = object()
_MASTER_DATA = (Customer, Product, ContractPrice)


def _memo(session: Session) -> dict[tuple, Any]:
    if _writes_master_data(session):  # pending, not yet flushed: the memo may not answer for it
        _forget(session)
    return session.info.setdefault(_MEMO, {})


def _writes_master_data(session: Session) -> bool:
    return any(isinstance(obj, _MASTER_DATA) for obj in (*session.new, *session.dirty, *session.deleted))


def _forget(session: Session) -> None:
    session.info.pop(_MEMO, None)


@event.listens_for(Session, "after_transaction_end")
def _transaction_ended(session: Session, transaction) -> None:
    # the outermost one only: a released savepoint or a flush's own subtransaction keeps the transaction's view
    # (one rolled back forgets, below)
    if transaction.parent is None:
        _forget(session)


@event.listens_for(Session, "after_soft_rollback")
def _rolled_back(session: Session, _previous_transaction) -> None:
    _forget(session)


@event.listens_for(Session, "before_flush")
def _flushing(session: Session, _ctx, _instances) -> None:
    if _writes_master_data(session):
        _forget(session)


@event.listens_for(Session, "do_orm_execute")
def _executing(state: ORMExecuteState) -> None:
    if not state.is_select:
        _forget(state.session)


def _remembered(session: Session, key: tuple, read):
    memo = _memo(session)
    value = memo.get(key, _MISSING)
    if value is _MISSING:
        value = read()
        _memo(session)[key] = value  # re-fetched: the read itself may have flushed (autoflush) and dropped it
    return value


_CUSTOMER = select(Customer).where(Customer.customer_id == bindparam("customer_id"))  # built once


def customer(session: Session, customer_id: str) -> Customer | None:
    """The customer with exactly this id (None when master data has none)."""
    return _remembered(
        session,
        ("customer", customer_id),
        lambda: session.scalar(_CUSTOMER, {"customer_id": customer_id}),
    )


def product(session: Session, sku: str) -> Product | None:
    """The product with exactly this SKU (None when master data has none)."""
    return _remembered(session, ("product", sku), lambda: session.scalar(select(Product).where(Product.sku == sku)))


def contract_prices(session: Session, customer_id: str, sku: str) -> list[ContractPrice]:
    """The customer's contract price rows for a SKU (every tier and validity window)."""
    return _remembered(
        session,
        ("contract", customer_id, sku),
        lambda: list(
            session.scalars(
                select(ContractPrice)
                .where(ContractPrice.customer_id == customer_id, ContractPrice.sku == sku)
                .order_by(ContractPrice.id)
            )
        ),
    )


_CHUNK = 500  # keys per IN (...)
# built once (every order prefetches): the keys come in as an expanding parameter
_PRODUCTS = select(Product).where(Product.sku.in_(bindparam("skus", expanding=True)))
_CONTRACT_PRICES = (
    select(ContractPrice)
    .where(
        ContractPrice.customer_id == bindparam("customer_id"),
        ContractPrice.sku.in_(bindparam("skus", expanding=True)),
    )
    .order_by(ContractPrice.id)
)


def prefetch_products(session: Session, skus) -> None:
    """Read the products of these SKUs in IN queries, so `product` answers them from the memo."""
    wanted = sorted({s for s in skus if s} - {key[1] for key in _memo(session) if key[0] == "product"})
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start : start + _CHUNK]
        found = {p.sku: p for p in session.scalars(_PRODUCTS, {"skus": chunk})}
        _memo(session).update({("product", sku): found.get(sku) for sku in chunk})


def prefetch_contract_prices(session: Session, customer_id: str, skus) -> None:
    """Read the customer's contract rows of these SKUs in IN queries, so `contract_prices` answers from the memo."""
    memo = _memo(session)
    wanted = sorted({s for s in skus if s and ("contract", customer_id, s) not in memo})
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start : start + _CHUNK]
        rows: dict[str, list[ContractPrice]] = {sku: [] for sku in chunk}
        for row in session.scalars(_CONTRACT_PRICES, {"customer_id": customer_id, "skus": chunk}):
            rows[row.sku].append(row)
        _memo(session).update({("contract", customer_id, sku): found for sku, found in rows.items()})
