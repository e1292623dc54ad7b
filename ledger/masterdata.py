"""Master-data import from the ERP's CSV exports: validate every row, then upsert all of them or none."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from o2c.core.money import storable
from o2c.ledger.aliases import sync_customer_aliases
from o2c.ledger.applications import applied_total
from o2c.ledger.deductions import collect_deductions
from o2c.ledger.errors import MasterDataError
from o2c.ledger.journal import AR, OPENING, credit, debit, post_entry
from o2c.ledger.models import ContractPrice, Customer, Invoice, JournalEntry, Product

COLUMNS: dict[str, tuple[str, ...]] = {
    "customers": (
        "customer_id",
        "name",
        "aliases",
        "email_domains",
        "address",
        "credit_limit",
        "currency",
        "payment_terms",
    ),
    "products": ("sku", "description", "uom", "unit_price", "currency"),
    "prices": ("customer_id", "sku", "unit_price", "min_quantity", "valid_from", "valid_to"),
    "invoices": (
        "invoice_number",
        "customer_id",
        "invoice_date",
        "due_date",
        "amount",
        "open_amount",
        "currency",
        "po_number",
    ),
}


@dataclass
class ImportReport:
    """What an import did: rows read, rows created, rows updated."""

    kind: str
    rows: int = 0
    created: int = 0
    updated: int = 0
    keys: list[str] = field(default_factory=list)
    # open-AR rows that disagree with cash o2c applied: kept as o2c has them, one entry per invoice, with why
    conflicts: list[dict] = field(default_factory=list)


class _RowError(ValueError):
    def __init__(self, column: str, message: str):
        super().__init__(message)
        self.column, self.message = column, message


def _text(row: dict, col: str, *, required: bool = True) -> str | None:
    value = (row.get(col) or "").strip()
    if not value and required:
        raise _RowError(col, "required")
    return value or None


def _decimal(row: dict, col: str, *, required: bool = True, minimum: Decimal | None = Decimal("0")) -> Decimal | None:
    text = _text(row, col, required=required)
    if text is None:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise _RowError(col, f"not a decimal number: {text!r}") from None
    if not value.is_finite():
        raise _RowError(col, f"not a finite number: {text!r}")
    if minimum is not None and value < minimum:
        raise _RowError(col, f"must be >= {minimum}")
    if not storable(value):
        raise _RowError(col, f"out of range: {text!r} (at most 15 significant digits, 4 after the point)")
    return value


def _date(row: dict, col: str, *, required: bool = True) -> date | None:
    text = _text(row, col, required=required)
    if text is None:
        return None
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            raise ValueError(text)
        return date.fromisoformat(text)
    except ValueError:
        raise _RowError(col, f"not an ISO date (YYYY-MM-DD): {text!r}") from None


def _currency(row: dict, col: str = "currency") -> str:
    text = (_text(row, col) or "").upper()
    if not re.fullmatch(r"[A-Z]{3}", text):
        raise _RowError(col, f"not a 3-letter currency code: {text!r}")
    return text


def _flag(row: dict, col: str) -> bool:
    text = (row.get(col) or "").strip().casefold()
    if text in ("", "0", "false", "no", "n"):
        return False
    if text in ("1", "true", "yes", "y"):
        return True
    raise _RowError(col, f"not a yes/no value: {text!r}")


def _list(row: dict, col: str) -> list[str]:
    return [part.strip() for part in (row.get(col) or "").split(";") if part.strip()]


def _customer(row: dict, _session: Session) -> dict:
    return {
        "customer_id": _text(row, "customer_id"),
        "name": _text(row, "name"),
        "aliases": _list(row, "aliases"),
        "email_domains": [d.lower().lstrip("@") for d in _list(row, "email_domains")],
        "address": _text(row, "address", required=False),
        "credit_limit": _decimal(row, "credit_limit", required=False),
        "currency": _currency(row),
        "payment_terms": _text(row, "payment_terms", required=False),
        "trust_advices": _flag(row, "trust_advices"),  # optional column
    }


def _product(row: dict, _session: Session) -> dict:
    return {
        "sku": _text(row, "sku"),
        "description": _text(row, "description"),
        "uom": (_text(row, "uom", required=False) or "EA").upper(),
        "unit_price": _decimal(row, "unit_price"),
        "currency": _currency(row),
        # optional columns: the product is also ordered in packs ('CS' of 12)
        "pack_uom": (_text(row, "pack_uom", required=False) or "").upper() or None,
        "pack_size": _decimal(row, "pack_size", required=False, minimum=Decimal("1")),
    }


def _price(row: dict, session: Session) -> dict:
    values: dict[str, Any] = {
        "customer_id": _text(row, "customer_id"),
        "sku": _text(row, "sku"),
        "unit_price": _decimal(row, "unit_price"),
        "min_quantity": _decimal(row, "min_quantity", required=False) or Decimal("0"),
        "valid_from": _date(row, "valid_from", required=False),
        "valid_to": _date(row, "valid_to", required=False),
    }
    if values["valid_from"] and values["valid_to"] and values["valid_from"] > values["valid_to"]:
        raise _RowError("valid_to", "valid_to is before valid_from")
    _require(session, Customer.customer_id, values["customer_id"], "customer_id")
    _require(session, Product.sku, values["sku"], "sku")
    return values


def _invoice(row: dict, session: Session) -> dict:
    values: dict[str, Any] = {
        "invoice_number": _text(row, "invoice_number"),
        "customer_id": _text(row, "customer_id"),
        "invoice_date": _date(row, "invoice_date"),
        "due_date": _date(row, "due_date", required=False),
        "amount": _decimal(row, "amount"),
        "open_amount": _decimal(row, "open_amount"),
        "currency": _currency(row),
        "po_number": _text(row, "po_number", required=False),
    }
    if values["open_amount"] > values["amount"]:
        raise _RowError("open_amount", "open_amount exceeds amount")
    _require(session, Customer.customer_id, values["customer_id"], "customer_id")
    origin = session.scalar(select(Invoice.origin).where(Invoice.invoice_number == values["invoice_number"]))
    if origin == "issued":
        raise _RowError("invoice_number", "issued by o2c; the ERP copy does not overwrite it")
    return values


def _require(session: Session, column, value: str, col: str) -> None:
    if session.scalar(select(column).where(column == value)) is None:
        raise _RowError(col, f"unknown {col} {value!r} (import it first)")


_PARSERS: dict[str, Callable[[dict, Session], dict]] = {
    "customers": _customer,
    "products": _product,
    "prices": _price,
    "invoices": _invoice,
}


def _natural_key(kind: str, values: dict) -> tuple:
    if kind == "prices":
        return values["customer_id"], values["sku"], values["min_quantity"], values["valid_from"]
    return (values[{"customers": "customer_id", "products": "sku", "invoices": "invoice_number"}[kind]],)


def _find(session: Session, kind: str, values: dict):
    if kind == "customers":
        return session.scalar(select(Customer).where(Customer.customer_id == values["customer_id"]))
    if kind == "products":
        return session.scalar(select(Product).where(Product.sku == values["sku"]))
    if kind == "invoices":
        return session.scalar(select(Invoice).where(Invoice.invoice_number == values["invoice_number"]))
    valid_from = values["valid_from"]
    return session.scalar(
        select(ContractPrice).where(
            ContractPrice.customer_id == values["customer_id"],
            ContractPrice.sku == values["sku"],
            ContractPrice.min_quantity == values["min_quantity"],
            ContractPrice.valid_from.is_(None) if valid_from is None else ContractPrice.valid_from == valid_from,
        )
    )


def _new(session: Session, kind: str, values: dict):
    if kind == "customers":
        return Customer(**values)
    if kind == "products":
        return Product(**values)
    if kind == "prices":
        return ContractPrice(**values)
    terms = session.scalar(select(Customer.payment_terms).where(Customer.customer_id == values["customer_id"]))
    return Invoice(
        **values, origin="imported", payment_terms=terms, settled_elsewhere=values["amount"] - values["open_amount"]
    )


_MONEY_FIELDS = ("customer_id", "amount", "open_amount", "currency")


def _reconcile_invoice(session: Session, invoice: Invoice, values: dict, report: ImportReport) -> None:
    """An ERP open-AR row for an invoice already known: reconcile, never overwrite o2c's cash application.

    Without o2c applications the ERP is the book of record (its open amount stands, with an opening-AR
    adjustment). With them, the row must agree with o2c (the ERP has seen the cash), or be the ERP's older view
    (open = o2c's open + what o2c applied since); anything else is a conflict, flagged and left as it is."""
    applied = applied_total(session, invoice.id)
    if not applied:
        old_open = invoice.open_amount
        for name, value in values.items():
            setattr(invoice, name, value)
        invoice.settled_elsewhere = values["amount"] - values["open_amount"]
        _post_opening(session, invoice, values["open_amount"] - old_open)
        collect_deductions(session, [invoice.id])  # what the ERP settled settles the deductions on it too
        return
    money = {name: getattr(invoice, name) for name in _MONEY_FIELDS}
    stale = values["open_amount"] == invoice.open_amount + applied
    same = values["open_amount"] == invoice.open_amount
    unchanged = all(values[n] == money[n] for n in _MONEY_FIELDS if n != "open_amount")
    if not unchanged or not (same or stale):
        report.conflicts.append(
            {
                "invoice_number": invoice.invoice_number,
                "rule": "erp_open_ar_conflicts_with_cash_application",
                "erp": {n: _plain(values[n]) for n in _MONEY_FIELDS},
                "o2c": {n: _plain(money[n]) for n in _MONEY_FIELDS},
                "applied_by_o2c": _plain(applied),
            }
        )
    for name, value in values.items():  # dates, PO: the ERP's; money stays as o2c applied it
        if name not in _MONEY_FIELDS:
            setattr(invoice, name, value)


def _plain(value) -> str:
    return str(value) if value is not None else ""


def _post_opening(session: Session, invoice: Invoice, change: Decimal) -> None:
    """Opening AR for an imported invoice (or an ERP change of it): AR against the opening-balance account."""
    if not change:
        return
    session.flush()
    count = session.scalar(
        select(func.count(JournalEntry.id)).where(JournalEntry.idempotency_key.like(f"opening_ar:{invoice.id}:%"))
    )
    lines = (
        [
            debit(AR, change, invoice.currency, invoice.customer_id),
            credit(OPENING, change, invoice.currency, invoice.customer_id),
        ]
        if change > 0
        else [
            credit(AR, -change, invoice.currency, invoice.customer_id),
            debit(OPENING, -change, invoice.currency, invoice.customer_id),
        ]
    )
    post_entry(
        session,
        "opening_ar",
        f"opening_ar:{invoice.id}:{count}",
        invoice.invoice_date,
        lines,
        memo=f"open AR of {invoice.invoice_number} from the ERP",
    )


def import_master_data(session: Session, kind: str, content: bytes | str) -> ImportReport:
    """Upsert customers|products|prices|invoices CSV by natural key; a bad row -> MasterDataError, none applied."""
    if kind not in COLUMNS:
        raise MasterDataError(f"unknown master-data kind {kind!r}", kinds=sorted(COLUMNS))
    try:
        text = content.decode("utf-8-sig") if isinstance(content, bytes) else content.lstrip("\ufeff")
    except UnicodeDecodeError as exc:
        raise MasterDataError(f"{kind}: file is not UTF-8 ({exc.reason})") from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [col for col in COLUMNS[kind] if col not in header]
    if missing:
        raise MasterDataError(f"{kind}: missing columns {', '.join(missing)}", missing_columns=missing)
    reader.fieldnames = header
    parsed, errors, seen = [], [], dict[tuple, int]()
    for row_number, row in enumerate(reader, start=2):  # row 1 is the header
        try:
            values = _PARSERS[kind](row, session)
        except _RowError as err:
            errors.append({"row": row_number, "column": err.column, "message": err.message})
            continue
        key = _natural_key(kind, values)
        if key in seen:
            errors.append({"row": row_number, "column": COLUMNS[kind][0], "message": f"duplicate of row {seen[key]}"})
            continue
        seen[key] = row_number
        parsed.append(values)
    if errors:
        raise MasterDataError(f"{kind}: {len(errors)} bad row(s); nothing imported", errors=errors)
    report = ImportReport(kind=kind, rows=len(parsed))
    rows = []
    for values in parsed:
        current = _find(session, kind, values)
        if current is None:
            current = _new(session, kind, values)
            session.add(current)
            report.created += 1
            if kind == "invoices":
                _post_opening(session, current, current.open_amount)
        elif kind == "invoices":
            _reconcile_invoice(session, current, values, report)
            report.updated += 1
        else:
            for name, value in values.items():
                setattr(current, name, value)
            report.updated += 1
        rows.append(current)
        report.keys.append("/".join(str(part) for part in _natural_key(kind, values) if part is not None))
    session.flush()
    if kind == "customers":
        sync_customer_aliases(session, rows)
    return report
