"""The grounding a context hands extraction is read from master data once, and again only when it changed."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import event as sql_event
from sqlalchemy import select

from o2c.ledger.models import Customer, CustomerAlias, CustomerPartNumber, Product
from o2c.matching.grounding import GroundingCache, master_data_version, read_grounding


def test_master_data_is_read_once_until_it_changes(seeded):
    cache = GroundingCache()
    first = cache.get(seeded)
    assert cache.get(seeded) is first and cache.reads == 1
    assert "BRG-6204" in first.skus and "Acme Industrial Supply Inc." in first.customer_names
    assert first == read_grounding(seeded)

    seeded.add(Product(sku="NEW-100", description="new", unit_price=Decimal("1"), currency="USD"))
    seeded.flush()
    assert "NEW-100" in cache.get(seeded).skus and cache.reads == 2

    globex = seeded.scalar(select(Customer).where(Customer.customer_id == "C-1003"))
    globex.name = "Globex Holdings Corporation"
    seeded.flush()
    assert "Globex Holdings Corporation" in cache.get(seeded).customer_names and cache.reads == 3

    seeded.add(CustomerPartNumber(customer_id="C-1001", part_number="ACME-1", sku="BRG-6204"))
    seeded.flush()
    assert "ACME-1" in cache.get(seeded).customer_part_numbers
    # the same number of part numbers, the highest id perhaps reused: still a change
    seeded.delete(seeded.scalar(select(CustomerPartNumber).where(CustomerPartNumber.part_number == "ACME-1")))
    seeded.flush()
    seeded.add(CustomerPartNumber(customer_id="C-1001", part_number="ACME-22", sku="BRG-6204"))
    seeded.flush()
    assert cache.get(seeded).customer_part_numbers == {"ACME-22"} and cache.reads == 5

    learned = CustomerAlias(customer_id="C-1002", alias="BN Berlin Einkauf", alias_key="bn berlin einkauf")
    seeded.add(learned)  # a reviewer's alias grounds names too
    seeded.flush()
    assert "BN Berlin Einkauf" in cache.get(seeded).customer_names and cache.reads == 6
    learned.active = False  # retired: it grounds nothing any more
    seeded.flush()
    grounding = cache.get(seeded)
    assert "BN Berlin Einkauf" not in grounding.customer_names and cache.reads == 7
    assert cache.get(seeded) is grounding and cache.reads == 7


def test_the_version_every_document_asks_for_is_one_statement_built_once(seeded):
    # building its twelve subqueries (and their cache key) for every document cost several times the query itself
    executed = []
    sql_event.listen(seeded.get_bind(), "before_execute", lambda _conn, clause, *_: executed.append(clause))
    first, second = master_data_version(seeded), master_data_version(seeded)
    assert first == second and len(executed) == 2 and executed[0] is executed[1]
