"""The role matrix, for every route the app has: 401 without a key, 403 with the wrong role."""

from __future__ import annotations

import pytest

from api.app import create_app
from tests.api.conftest import headers

# (method, path) -> roles allowed besides admin
MATRIX = {
    ("POST", "/documents"): {"connector"},
    ("POST", "/documents/email"): {"connector"},
    ("GET", "/documents/{document_id}"): {"connector", "reviewer", "erp"},
    ("GET", "/exceptions"): {"reviewer", "erp"},
    ("GET", "/exceptions/{exception_id}"): {"reviewer"},
    ("POST", "/exceptions/{exception_id}/claim"): {"reviewer"},
    ("POST", "/exceptions/{exception_id}/resolve"): {"reviewer"},
    ("GET", "/orders"): {"erp"},
    ("GET", "/invoices"): {"erp"},
    ("GET", "/payments"): {"erp"},
    ("GET", "/applications"): {"erp"},
    ("POST", "/master-data/{kind}"): {"erp"},
    ("GET", "/ar/open-items"): {"erp", "reviewer"},
    ("GET", "/ar/aging"): {"erp", "reviewer"},
    ("GET", "/ar/dso"): {"erp", "reviewer"},
    ("GET", "/ar/unapplied"): {"erp", "reviewer"},
    ("GET", "/invoices/{number}/pdf"): {"erp"},
    ("GET", "/invoices/{number}/xml"): {"erp"},
    ("GET", "/exceptions/{exception_id}/audit"): {"reviewer"},
    ("POST", "/exceptions/{exception_id}/release"): {"reviewer"},
    ("GET", "/aliases/{kind}"): {"reviewer"},
    ("DELETE", "/aliases/{kind}/{alias_id}"): {"reviewer"},
    ("GET", "/documents/{document_id}/pages/{number}.png"): {"reviewer", "connector"},
    ("GET", "/erp/export"): {"erp"},
    ("POST", "/erp/ack"): {"erp"},
    ("GET", "/master-data/changes"): {"erp"},
    ("GET", "/summary"): {"reviewer", "erp"},
    ("GET", "/metrics"): {"reviewer", "erp"},
    ("GET", "/webhooks/outbox"): set(),
    ("POST", "/webhooks/deliver"): set(),
    ("POST", "/documents/{document_id}/reprocess"): set(),
    ("GET", "/ledger/check"): set(),
}
PUBLIC = {("GET", "/health")}
ROLES = ("connector", "reviewer", "erp", "admin")


def _routes(app):
    for path, operations in app.openapi()["paths"].items():
        for method in operations:
            yield method.upper(), path


def test_every_route_is_in_the_matrix(api_settings):
    """A new route must say who may call it."""
    assert set(_routes(create_app(api_settings))) == set(MATRIX) | PUBLIC


def _concrete(path: str) -> str:
    return (path.replace("{document_id}", "1").replace("{exception_id}", "1").replace("{kind}", "customers")
            .replace("{alias_id}", "1").replace("{number}", "1"))


@pytest.mark.parametrize("method,path", sorted(MATRIX))
def test_no_key_is_401_and_wrong_role_is_403(client, method, path):
    url = _concrete(path)
    assert client.request(method, url).status_code == 401
    assert client.request(method, url, headers={"X-API-Key": "not-a-key"}).status_code == 401
    for role in ROLES:
        status = client.request(method, url, headers=headers(role)).status_code
        if role == "admin" or role in MATRIX[(method, path)]:
            assert status not in (401, 403), f"{role} refused on {method} {path}"
        else:
            assert status == 403, f"{role} got {status} on {method} {path}"


def test_openapi_docs_are_served(client):
    assert client.get("/docs").status_code == 200
    spec = client.get("/openapi.json").json()
    assert "/documents" in spec["paths"] and "X-API-Key" in str(spec["components"]["securitySchemes"])
