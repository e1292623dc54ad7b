"""CustomerAlias rows from master data: a customer's name, aliases and email domains as indexed lookup keys.

A key claimed by two customers is retired (active = False, provenance says why): an ambiguous name must never
resolve on its own. Rows learned from reviewers share the table; master data never overrides an active one."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from o2c.ledger.models import Customer, CustomerAlias
from o2c.ledger.names import alias_key, domain_key

MASTER_DATA = "master_data"
AMBIGUOUS = "ambiguous"


def customer_keys(customer: Customer) -> dict[str, str]:
    """alias_key -> the text it came from: name, aliases and '@domain' keys."""
    keys: dict[str, str] = {}
    for text in [customer.name, *(customer.aliases or [])]:
        if alias_key(text):
            keys.setdefault(alias_key(text), text)
    for domain in customer.email_domains or []:
        if domain_key(domain):
            keys.setdefault(domain_key(domain), domain)
    return keys


def sync_customer_aliases(session: Session, customers: list[Customer]) -> None:
    """Write each customer's master-data keys into CustomerAlias (flushes only)."""
    wanted: dict[str, tuple[str, str]] = {}
    clashes: set[str] = set()
    for customer in customers:
        for key, text in customer_keys(customer).items():
            if key in wanted and wanted[key][0] != customer.customer_id:
                clashes.add(key)
            wanted.setdefault(key, (customer.customer_id, text))
    if not wanted:
        return
    existing = {
        row.alias_key: row
        for chunk in _chunks(sorted(wanted))
        for row in session.scalars(select(CustomerAlias).where(CustomerAlias.alias_key.in_(chunk)))
    }
    for key, (customer_id, text) in wanted.items():
        row = existing.get(key)
        if row is None:
            row = CustomerAlias(customer_id=customer_id, alias=text, alias_key=key, provenance=MASTER_DATA)
            session.add(row)
        elif row.customer_id != customer_id and row.active:
            clashes.add(key)
        if key in clashes:
            others = sorted({customer_id, row.customer_id})
            row.active = False
            row.provenance = f"{AMBIGUOUS}: {', '.join(others)}"
    session.flush()


def _chunks(keys: list[str], size: int = 500):
    for start in range(0, len(keys), size):
        yield keys[start : start + size]
