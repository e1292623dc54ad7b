"""An API app on a fresh database with one key per role."""

from __future__ import annotations

from datetime import date

import pytest
from fastapi.testclient import TestClient

from o2c.api.app import create_app
from o2c.core.settings import Settings

KEYS = {"connector": "k-conn", "reviewer": "k-rev", "erp": "k-erp", "admin": "k-admin", "stranger": None}


def headers(role: str) -> dict[str, str]:
    """The X-API-Key header of a role."""
    return {"X-API-Key": KEYS[role]} if KEYS.get(role) else {}


@pytest.fixture
def api_settings(tmp_path):
    return Settings(
        data_dir=tmp_path / "data",
        database_url=f"sqlite:///{tmp_path / 'api.sqlite3'}",
        storage_dir=tmp_path / "blobs",
        business_date=date(2026, 3, 20),
        max_upload_bytes=2_000_000,
        trusted_advice_channels="upload,email",  # allow-listed connectors (docs/cash-model.md)
        api_keys=",".join(f"{k}:{r}" for r, k in KEYS.items() if k),
    )


@pytest.fixture
def client(api_settings):
    with TestClient(create_app(api_settings)) as test_client:
        yield test_client


@pytest.fixture
def loaded_client(client, samples):
    """A client whose database holds the sample master data."""
    for kind in ("customers", "products", "prices", "invoices"):
        with open(samples / f"{kind}.csv", "rb") as fh:
            r = client.post(
                f"/master-data/{kind}", files={"file": (f"{kind}.csv", fh, "text/csv")}, headers=headers("erp")
            )
        assert r.status_code == 200, r.text
    return client
