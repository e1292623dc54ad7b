"""Master-data import: all rows or none, with row-level errors for a reviewer to fix."""

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from o2c.ledger.errors import MasterDataError
from o2c.ledger.masterdata import import_master_data
from o2c.ledger.models import ContractPrice, Customer, Invoice, Product

CUSTOMERS = (
    "customer_id,name,aliases,email_domains,address,credit_limit,currency,payment_terms\n"
    "C-1,Acme Inc.,ACME;Acme Co,acme.com; ACME-Supply.com,1 Main St,1000.50,usd,Net 30\n"
    "C-2,Bolt GmbH,,,,,EUR,\n"
)


def count(session, model):
    return session.scalar(select(func.count()).select_from(model))


def test_good_file_imports_and_upserts(session):
    report = import_master_data(session, "customers", ("\ufeff" + CUSTOMERS).encode("utf-8"))
    assert (report.rows, report.created, report.updated) == (2, 2, 0)
    acme = session.scalar(select(Customer).where(Customer.customer_id == "C-1"))
    assert acme.aliases == ["ACME", "Acme Co"] and acme.email_domains == ["acme.com", "acme-supply.com"]
    assert acme.credit_limit == Decimal("1000.50") and acme.currency == "USD"
    bolt = session.scalar(select(Customer).where(Customer.customer_id == "C-2"))
    assert bolt.credit_limit is None and bolt.payment_terms is None
    again = import_master_data(session, "customers", CUSTOMERS.replace("Acme Inc.", "Acme Incorporated"))
    assert (again.created, again.updated) == (0, 2)
    assert session.scalar(select(Customer.name).where(Customer.customer_id == "C-1")) == "Acme Incorporated"


def test_missing_column_names_it_and_applies_nothing(session):
    with pytest.raises(MasterDataError) as err:
        import_master_data(session, "products", "sku,description,unit_price\nA,Thing,1.00\n")
    assert err.value.detail["missing_columns"] == ["uom", "currency"]
    assert count(session, Product) == 0


def test_bad_row_applies_nothing_and_lists_errors(session):
    content = (
        "sku,description,uom,unit_price,currency\n"
        "A,Good,EA,1.00,USD\n"
        "B,Bad price,EA,1,00,USD\n"
        "C,Bad currency,EA,2.00,US\n"
        "A,Duplicate,EA,1.00,USD\n"
    )
    with pytest.raises(MasterDataError) as err:
        import_master_data(session, "products", content)
    rows = {(e["row"], e["column"]) for e in err.value.detail["errors"]}
    assert {(4, "currency"), (5, "sku")} <= rows
    assert any(e["row"] == 3 for e in err.value.detail["errors"])
    assert count(session, Product) == 0


def test_prices_and_invoices_validate_dates_and_references(session):
    import_master_data(session, "customers", CUSTOMERS)
    import_master_data(session, "products", "sku,description,uom,unit_price,currency\nA,Thing,,1.00,USD\n")
    prices = (
        "customer_id,sku,unit_price,min_quantity,valid_from,valid_to\n"
        "C-1,A,0.90,,,\nC-1,A,0.80,100,2024-01-01,2024-12-31\n"
    )
    assert import_master_data(session, "prices", prices).created == 2
    assert import_master_data(session, "prices", prices).updated == 2  # NULL valid_from still upserts
    assert count(session, ContractPrice) == 2
    with pytest.raises(MasterDataError) as err:
        import_master_data(
            session,
            "prices",
            "customer_id,sku,unit_price,min_quantity,valid_from,valid_to\nC-9,A,1,,01/02/2024,\n",
        )
    assert {e["column"] for e in err.value.detail["errors"]} == {"valid_from"}
    invoices = (
        "invoice_number,customer_id,invoice_date,due_date,amount,open_amount,currency,po_number\n"
        "INV-1,C-1,2024-03-01,,100.00,40.00,USD,PO-1\n"
    )
    import_master_data(session, "invoices", invoices)
    inv = session.scalar(select(Invoice))
    assert (inv.origin, inv.open_amount, inv.payment_terms, inv.reference_key) == (
        "imported",
        Decimal("40.00"),
        "Net 30",
        "1",
    )
    with pytest.raises(MasterDataError):
        import_master_data(session, "invoices", invoices.replace("40.00", "140.00"))
    with pytest.raises(MasterDataError):
        import_master_data(session, "invoices", invoices.replace("C-1,", "C-404,"))


def test_unknown_kind(session):
    with pytest.raises(MasterDataError):
        import_master_data(session, "vendors", "a,b\n")
