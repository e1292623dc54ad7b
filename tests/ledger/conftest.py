"""Ledger test fixtures: every DB test runs on SQLite and, when O2C_TEST_POSTGRES_URL is set, on PostgreSQL.

SQLite: a fresh in-memory database per session. PostgreSQL: a private schema per test run, and each session
is a transaction rolled back at the end (services only flush; savepoints serve their begin_nested())."""

from __future__ import annotations

import os
import uuid
from contextlib import contextmanager
from datetime import date

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from o2c.core.db import Base, make_engine
from o2c.core.events import Event
from o2c.ledger import models as lm
from o2c.ledger.masterdata import import_master_data

TABLES = [
    m.__table__
    for m in (
        lm.Customer,
        lm.Product,
        lm.ContractPrice,
        lm.CustomerPartNumber,
        lm.CustomerAlias,
        lm.Order,
        lm.OrderLineRow,
        lm.NumberSequence,
        lm.Invoice,
        lm.Payment,
        lm.RemittanceLine,
        lm.CashApplication,
        lm.Deduction,
        lm.JournalEntry,
        lm.JournalLine,
        Event,
    )
]
PG_URL = os.environ.get("O2C_TEST_POSTGRES_URL")
TODAY = date(2024, 3, 20)

CUSTOMERS = """customer_id,name,aliases,email_domains,address,credit_limit,currency,payment_terms
C-1001,Acme Industrial Supply Inc.,ACME;Acme Supply,acme.com;acme-supply.com,"1 Main St",50000,USD,2/10 Net 30
C-1002,Bolt & Nut GmbH,,boltnut.de,"Hauptstr. 5, Berlin",10000,EUR,Net 30
C-1003,Globex Corporation,Globex,globex.com,"9 Elm Rd, Shelbyville",1500,USD,Net 45
"""
PRODUCTS = """sku,description,uom,unit_price,currency
BRG-6204,Ball bearing 6204 2RS sealed,EA,5.00,USD
BLT-M8,Hex bolt M8x40 zinc plated,EA,0.25,USD
GRS-1KG,Lithium grease 1 kg tub,EA,12.50,USD
"""
PRICES = """customer_id,sku,unit_price,min_quantity,valid_from,valid_to
C-1001,BRG-6204,4.50,0,,
C-1001,BRG-6204,4.10,100,2024-01-01,2024-12-31
C-1001,BLT-M8,0.20,0,2024-01-01,
"""
INVOICES = """invoice_number,customer_id,invoice_date,due_date,amount,open_amount,currency,po_number
INV-090001,C-1001,2024-03-15,2024-04-14,1000.00,1000.00,USD,PO-7001
INV-090002,C-1001,2024-02-01,2024-03-02,250.00,250.00,USD,PO-7002
INV-090003,C-1001,2024-02-10,2024-03-11,750.00,750.00,USD,PO-7003
INV-090004,C-1002,2024-03-01,2024-03-31,500.00,500.00,EUR,PO-8001
INV-090005,C-1003,2024-01-05,2024-02-19,300.00,0.00,USD,PO-9001
"""
MASTER_DATA = {"customers": CUSTOMERS, "products": PRODUCTS, "prices": PRICES, "invoices": INVOICES}


def seed_master_data(session: Session) -> None:
    """Import the standard test master data (customers, products, prices, open invoices)."""
    for kind, content in MASTER_DATA.items():
        import_master_data(session, kind, content)


@pytest.fixture(scope="session")
def pg_engine():
    """An engine on a private schema of the test PostgreSQL (skipped when O2C_TEST_POSTGRES_URL is unset)."""
    if not PG_URL:
        pytest.skip("O2C_TEST_POSTGRES_URL is not set: PostgreSQL variants of the ledger tests are skipped")
    schema = f"o2c_ledger_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = create_engine(PG_URL, connect_args={"options": f"-csearch_path={schema}"})
    Base.metadata.create_all(engine, tables=TABLES)
    yield engine
    engine.dispose()
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def open_session(request):
    """A factory of isolated sessions (use it directly in hypothesis tests: one per example)."""
    if request.param == "sqlite":

        @contextmanager
        def factory():
            engine = make_engine("sqlite://")
            Base.metadata.create_all(engine, tables=TABLES)
            try:
                with Session(engine, expire_on_commit=False) as session:
                    yield session
            finally:
                engine.dispose()

        return factory

    engine = request.getfixturevalue("pg_engine")

    @contextmanager
    def pg_factory():
        conn = engine.connect()
        outer = conn.begin()
        session = Session(bind=conn, join_transaction_mode="create_savepoint", expire_on_commit=False)
        try:
            yield session
        finally:
            session.close()
            outer.rollback()
            conn.close()

    return pg_factory


@pytest.fixture
def session(open_session):
    """An empty ledger database session."""
    with open_session() as s:
        yield s


@pytest.fixture
def seeded(session):
    """A session with the standard master data imported."""
    seed_master_data(session)
    session.flush()
    return session
