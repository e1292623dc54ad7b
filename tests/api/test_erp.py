"""The ERP's side: cursor pulls across an app restart, export-then-acknowledge, CSV, master-data rows, changes."""

from __future__ import annotations

import csv
import io

import pytest
from fastapi.testclient import TestClient

from o2c.api.app import create_app
from o2c.migrations.runner import upgrade_database
from tests.api.conftest import headers

ERP = headers("erp")


def _upload(client, samples, name):
    with open(samples / name, "rb") as fh:
        r = client.post("/documents", files={"file": (name, fh, "application/pdf")}, headers=headers("connector"))
    assert r.status_code in (200, 201), r.text


def _pull_all(client, feed, cursor=None, limit=2):
    seen = []
    while True:
        page = client.get(
            f"/{feed}", params={"cursor": cursor, "limit": limit} if cursor else {"limit": limit}, headers=ERP
        ).json()
        if not page["items"]:
            return seen, cursor
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]


@pytest.fixture
def backend_settings(api_settings, database_url):
    """The API settings on each backend (SQLite, then a fresh PostgreSQL database, migrated)."""
    upgrade_database(database_url)
    return api_settings.model_copy(update={"database_url": database_url})


def test_cursor_pull_survives_a_restart_without_gaps_or_repeats(backend_settings, samples):
    api_settings = backend_settings
    with TestClient(create_app(api_settings)) as client:
        _load(client, samples)
        first, cursor = _pull_all(client, "invoices")
        _upload(client, samples, "po_acme_45810.pdf")
    with TestClient(create_app(api_settings)) as client:  # a new process on the same database
        _upload(client, samples, "po_greatlakes_glf7731.pdf")
        rest, _ = _pull_all(client, "invoices", cursor)
        everything, _ = _pull_all(client, "invoices")
    assert len(rest) == 2 and not set(first) & set(rest)
    assert first + rest == everything == sorted(everything)
    with TestClient(create_app(api_settings)) as client:
        assert client.get("/invoices", params={"cursor": "not-a-cursor"}, headers=ERP).status_code == 422
        orders = client.get("/orders", headers=ERP).json()
        assert client.get("/invoices", params={"cursor": orders["next_cursor"]}, headers=ERP).status_code == 422


def test_export_then_acknowledge_delivers_at_least_once_and_acknowledges_once(backend_settings, samples):
    with TestClient(create_app(backend_settings)) as client:
        _load(client, samples)
        _export_then_acknowledge(client, samples)


def _load(client, samples):
    for kind in ("customers", "products", "prices", "invoices"):
        with open(samples / f"{kind}.csv", "rb") as fh:
            assert (
                client.post(f"/master-data/{kind}", files={"file": (kind, fh, "text/csv")}, headers=ERP).status_code
                == 200
            )


def _export_then_acknowledge(loaded_client, samples):
    _upload(loaded_client, samples, "po_acme_45810.pdf")
    _upload(loaded_client, samples, "po_greatlakes_glf7731.pdf")
    first = loaded_client.get("/erp/export", params={"feed": "orders", "limit": 1}, headers=ERP).json()
    again = loaded_client.get("/erp/export", params={"feed": "orders", "limit": 1}, headers=ERP).json()
    assert first["ids"] == again["ids"] and len(first["items"]) == 1  # not acknowledged: delivered again
    ack = loaded_client.post("/erp/ack", json={"feed": "orders", "ids": first["ids"]}, headers=ERP).json()
    assert ack["acknowledged"] == 1 and ack["already_acknowledged"] == 0
    replay = loaded_client.post("/erp/ack", json={"feed": "orders", "ids": first["ids"]}, headers=ERP).json()
    assert replay["acknowledged"] == 0 and replay["already_acknowledged"] == 1
    rest = loaded_client.get("/erp/export", params={"feed": "orders"}, headers=ERP).json()
    assert rest["ids"] and not set(rest["ids"]) & set(first["ids"])
    by_cursor = loaded_client.post("/erp/ack", json={"feed": "orders", "cursor": rest["cursor"]}, headers=ERP).json()
    assert by_cursor["acknowledged"] == len(rest["ids"])
    assert loaded_client.get("/erp/export", params={"feed": "orders"}, headers=ERP).json()["items"] == []
    unknown = loaded_client.post("/erp/ack", json={"feed": "orders", "ids": [424242]}, headers=ERP).json()
    assert unknown["unknown_ids"] == [424242] and unknown["acknowledged"] == 0
    bad = loaded_client.post("/erp/ack", json={"feed": "nope", "ids": [1]}, headers=ERP)
    assert bad.status_code == 422 and "feed" in bad.text
    assert loaded_client.post("/erp/ack", json={"feed": "orders"}, headers=ERP).status_code == 422

    exported = loaded_client.get("/erp/export", params={"feed": "invoices", "format": "csv"}, headers=ERP)
    assert exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert rows and "invoice_number" in rows[0]
    assert exported.headers["X-O2C-Ids"].split(",")[0] == rows[0]["id"]


def test_bad_master_data_reports_every_row_and_applies_nothing(loaded_client):
    bad = (
        b"customer_id,name,aliases,email_domains,address,credit_limit,currency,payment_terms\n"
        b"C-9001,Good Co,,,,100.00,USD,Net 30\nC-9002,Bad Co,,,,lots,USD,Net 30\nC-9003,Worse,,,,1,DOLLARS,\n"
    )
    r = loaded_client.post("/master-data/customers", files={"file": ("c.csv", bad, "text/csv")}, headers=ERP)
    assert r.status_code == 422, r.text
    errors = r.json()["detail"]["errors"]
    assert len(errors) >= 2 and all("row" in str(e) or "line" in str(e) for e in errors)
    changes = loaded_client.get("/master-data/changes", params={"limit": 1000}, headers=ERP).json()["items"]
    assert not any(c["key"] == "C-9001" for c in changes)


def test_master_data_change_feed_brings_a_changed_row_again(backend_settings, samples):
    with TestClient(create_app(backend_settings)) as client:
        _load(client, samples)
        _change_feed(client)


def _change_feed(loaded_client):
    page = loaded_client.get("/master-data/changes", params={"limit": 1000}, headers=ERP).json()
    assert {c["kind"] for c in page["items"]} == {"customer", "product"}
    assert (
        loaded_client.get("/master-data/changes", params={"cursor": page["next_cursor"]}, headers=ERP).json()["items"]
        == []
    )
    header = b"customer_id,name,aliases,email_domains,address,credit_limit,currency,payment_terms\n"
    row = b"C-1001,Acme Manufacturing Inc.,ACME Mfg,acme-mfg.example,Dayton,999999.00,USD,Net 30\n"
    assert (
        loaded_client.post(
            "/master-data/customers", files={"file": ("c.csv", header + row, "text/csv")}, headers=ERP
        ).status_code
        == 200
    )
    changed = loaded_client.get("/master-data/changes", params={"cursor": page["next_cursor"]}, headers=ERP).json()
    assert [c["key"] for c in changed["items"]] == ["C-1001"]
    assert loaded_client.get("/master-data/changes", params={"cursor": "x"}, headers=ERP).status_code == 422
