"""Master data as extraction's grounding (plain data: SKUs, part numbers, customer names, addresses, domains).

Reading all of master data for every document is wasted work when it has not changed, so a context keeps one
GroundingCache: each document costs one aggregate query (the master-data version), and master data is read
again only when that version moved. The version is made of row counts, highest ids, the latest `updated_at`
of customers and products, and the total length of part numbers and active aliases, so an insert, a delete,
an edit, or a retired alias all change it, whichever process or import made the change.
"""

from __future__ import annotations

import threading

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from o2c.extraction.grounding import Grounding
from o2c.ledger.models import Customer, CustomerAlias, CustomerPartNumber, Product


def read_grounding(session: Session) -> Grounding:
    """Master data as plain data for extraction: known SKUs, customer part numbers, names, aliases, domains."""
    customers = session.execute(select(Customer.name, Customer.aliases, Customer.address, Customer.email_domains)).all()
    names = {c.name for c in customers} | {a for c in customers for a in (c.aliases or []) if isinstance(a, str)}
    names |= set(
        session.scalars(
            select(CustomerAlias.alias).where(CustomerAlias.active.is_(True), ~CustomerAlias.alias_key.startswith("@"))
        )
    )
    return Grounding(
        skus=frozenset(session.scalars(select(Product.sku))),
        customer_part_numbers=frozenset(session.scalars(select(CustomerPartNumber.part_number))),
        customer_names=frozenset(n for n in names if n),
        addresses=frozenset(c.address for c in customers if c.address),
        domains=frozenset(d for c in customers for d in (c.email_domains or []) if isinstance(d, str)),
    )


def _version_statement():
    active = CustomerAlias.active.is_(True)
    return select(
        select(func.count(Customer.id)).scalar_subquery(),
        select(func.max(Customer.id)).scalar_subquery(),
        select(func.max(Customer.updated_at)).scalar_subquery(),
        select(func.count(Product.id)).scalar_subquery(),
        select(func.max(Product.id)).scalar_subquery(),
        select(func.max(Product.updated_at)).scalar_subquery(),
        select(func.count(CustomerPartNumber.id)).scalar_subquery(),
        select(func.max(CustomerPartNumber.id)).scalar_subquery(),
        select(func.sum(func.length(CustomerPartNumber.part_number))).scalar_subquery(),
        select(func.count(CustomerAlias.id)).where(active).scalar_subquery(),
        select(func.max(CustomerAlias.id)).scalar_subquery(),
        select(func.sum(func.length(CustomerAlias.alias))).where(active).scalar_subquery(),
    )


# built once: every document asks, and building these twelve subqueries (and the statement's cache key) cost
# several times what SQLite takes to answer them
_VERSION = _version_statement()


def master_data_version(session: Session) -> tuple:
    """What changes whenever the master data read_grounding reads changes (one query)."""
    return tuple(session.execute(_VERSION).one())


class GroundingCache:
    """One context's grounding: read again only when the master-data version moved."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._version: tuple | None = None
        self._grounding: Grounding | None = None
        self.reads = 0  # how often master data was read in full (what the cache saves)

    def get(self, session: Session) -> Grounding:
        """The grounding for the master data this session sees now."""
        version = master_data_version(session)
        with self._lock:
            if self._grounding is not None and version == self._version:
                return self._grounding
        grounding = read_grounding(session)
        with self._lock:
            self._version, self._grounding = version, grounding
            self.reads += 1
        return grounding
