"""Product resolution: our SKU, a normalized SKU, or the customer's part number. Descriptions only suggest."""

from __future__ import annotations

from dataclasses import dataclass, field

from rapidfuzz import fuzz, process
from sqlalchemy import select
from sqlalchemy.orm import Session

from o2c.ledger import lookups
from o2c.ledger.models import CustomerPartNumber, Product
from o2c.ledger.names import sku_key


@dataclass
class ProductMatch:
    """The resolved SKU (None when unknown or ambiguous), why, and suggestions for a reviewer."""

    sku: str | None
    rule: str | None
    reasons: list[str] = field(default_factory=list)
    candidates: list[dict] = field(default_factory=list)


def normalize_sku(text: str | None) -> str:
    """Uppercase without spaces, dashes, dots, slashes, underscores ('brg 6204-2rs' -> 'BRG62042RS')."""
    return sku_key(text)


def resolve_product(
    session: Session,
    *,
    customer_id: str | None,
    sku: str | None,
    description: str | None,
    max_candidates: int = 3,
) -> ProductMatch:
    """Exact SKU, normalized SKU (indexed sku_key), customer part number (exact then normalized); else fuzzy
    suggestions only (a catalogue scan, reached only for a SKU nothing else knows)."""
    read = (sku or "").strip()
    if read:
        if lookups.product(session, read) is not None:
            return ProductMatch(read, "sku.exact", [f"sku {read!r}"])
        key = normalize_sku(read)
        hits = list(session.scalars(select(Product.sku).where(Product.sku_key == key))) if key else []
        if len(hits) == 1:
            return ProductMatch(hits[0], "sku.normalized", [f"sku {read!r} -> {hits[0]!r}"])
        if len(hits) > 1:
            return ProductMatch(
                None,
                None,
                [f"sku {read!r} normalizes to several SKUs"],
                [{"sku": s, "rule": "sku.normalized"} for s in sorted(hits)],
            )
        if customer_id:
            match = _part_number(session, customer_id, read)
            if match is not None:
                return match
    reasons = [f"sku {read!r} not found" if read else "no sku read"]
    return ProductMatch(None, None, reasons, _suggestions(session, description, max_candidates))


def _part_number(session: Session, customer_id: str, read: str) -> ProductMatch | None:
    exact = session.scalar(
        select(CustomerPartNumber).where(
            CustomerPartNumber.customer_id == customer_id, CustomerPartNumber.part_number == read
        )
    )
    if exact is not None:
        return ProductMatch(exact.sku, "customer_part_number", [f"part number {read!r} -> {exact.sku!r}"])
    # one customer's cross-reference list: small, bounded by that customer
    rows = session.scalars(select(CustomerPartNumber).where(CustomerPartNumber.customer_id == customer_id)).all()
    key = normalize_sku(read)
    skus = sorted({r.sku for r in rows if normalize_sku(r.part_number) == key})
    if len(skus) == 1:
        return ProductMatch(skus[0], "customer_part_number.normalized", [f"part number {read!r} -> {skus[0]!r}"])
    if len(skus) > 1:
        return ProductMatch(
            None,
            None,
            [f"part number {read!r} maps to several SKUs"],
            [{"sku": s, "rule": "customer_part_number"} for s in skus],
        )
    return None


def _suggestions(session: Session, description: str | None, limit: int) -> list[dict]:
    if not description:
        return []
    catalogue = dict(session.execute(select(Product.sku, Product.description)).tuples().all())
    found = process.extract(description, catalogue, scorer=fuzz.token_set_ratio, limit=limit)
    return [
        {"sku": sku, "description": text, "score": round(score, 1), "rule": "description.fuzzy (suggestion)"}
        for text, score, sku in found
        if score >= 50
    ]
