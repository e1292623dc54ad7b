"""The role matrix, for every route the app has: 401 without a key, 403 with the wrong role."""

from __future__ import annotations

import pytest
from fastapi.routing import APIRoute

from o2c.api.app import create_app
from o2c.api.workspace.routes import ROLES as WORKSPACE_ROLES
from o2c.api.workspace.routes import router as workspace_router
from tests.api.conftest import KEYS, headers

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
    ("GET", "/deductions"): {"reviewer", "erp"},
    ("POST", "/deductions/{deduction_id}/resolve"): {"reviewer"},
    ("GET", "/deductions/{deduction_id}/audit"): {"reviewer"},
}
# The workspace (HTML, session cookie instead of X-API-Key): route -> who may use it. "session" means a signed-in
# reviewer or admin; only reviewer and admin keys can sign in.
WORKSPACE = {
    ("GET", "/review/sign-in"): "public",
    ("POST", "/review/sign-in"): "public",
    ("POST", "/review/sign-out"): "session",
    ("GET", "/review"): "session",
    ("GET", "/review/deductions"): "session",
    ("POST", "/review/deductions/{deduction_id}/resolve"): "session",
    ("GET", "/review/{exception_id}"): "session",
    ("GET", "/review/{exception_id}/pages/{number}.png"): "session",
    ("POST", "/review/{exception_id}/claim"): "session",
    ("POST", "/review/{exception_id}/release"): "session",
    ("POST", "/review/{exception_id}/resolve"): "session",
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
    return (
        path.replace("{document_id}", "1")
        .replace("{exception_id}", "1")
        .replace("{kind}", "customers")
        .replace("{alias_id}", "1")
        .replace("{number}", "1")
        .replace("{deduction_id}", "1")
    )


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


def _workspace_routes():
    for route in workspace_router.routes:
        if isinstance(route, APIRoute):
            for method in route.methods:
                yield method, route.path.replace(":int", "")


def test_every_workspace_route_is_in_the_matrix(client):
    """The HTML routes are not in the OpenAPI document; each still says who may call it (here and in the app)."""
    routes = set(_workspace_routes())
    assert routes == set(WORKSPACE)
    assert client.get("/review", follow_redirects=False).status_code == 303  # the app serves them
    assert {k: "session" if v == "reviewer" else v for k, v in WORKSPACE_ROLES.items()} == WORKSPACE


def _sign_in(client, key: str | None):
    import re

    form = client.get("/review/sign-in").text
    token = re.search(r'name="csrf" value="([^"]+)"', form).group(1)
    return client.post("/review/sign-in", data={"api_key": key or "", "csrf": token}, follow_redirects=False)


@pytest.mark.parametrize("method,path", sorted(k for k, v in WORKSPACE.items() if v == "session"))
def test_workspace_needs_a_reviewer_session(client, method, path):
    url = _concrete(path)
    anonymous = client.request(method, url, follow_redirects=False)
    if method == "GET":
        assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/review/sign-in")
    else:
        assert anonymous.status_code == 401
    assert client.request(method, url, headers=headers("admin"), follow_redirects=False).status_code in (303, 401)
    for role in ("connector", "erp", "stranger"):
        refused = _sign_in(client, KEYS.get(role) or "nobody")
        assert refused.status_code == 401 and "o2c_session" not in refused.headers.get("set-cookie", "")
    for role in ("reviewer", "admin"):
        client.cookies.clear()
        assert _sign_in(client, KEYS[role]).status_code == 303
        answer = client.request(method, url, follow_redirects=False)
        assert answer.status_code not in (401, 303), f"{role} refused on {method} {path}"
        if method == "POST":  # a signed-in session without the form's CSRF token is refused
            assert answer.status_code == 403
    client.cookies.clear()


def test_session_cookie_is_signed_and_strict(client):
    signed = _sign_in(client, KEYS["reviewer"])
    cookie = signed.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Max-Age=" in cookie
    client.cookies.set("o2c_session", client.cookies.get("o2c_session")[:-2] + "xx", path="/review")
    assert client.get("/review", follow_redirects=False).status_code == 303  # a tampered cookie is no session
