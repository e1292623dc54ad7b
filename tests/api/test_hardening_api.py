"""Limits before work and email identity over HTTP (issue 12, rows 3, 4 and 5)."""

from __future__ import annotations

import asyncio
from email.message import EmailMessage

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from o2c.api.app import create_app
from o2c.core.db import unit_of_work
from o2c.core.errors import ConfigurationError
from o2c.core.settings import Settings
from o2c.erp.outbox import WebhookPolicy
from o2c.intake.models import Document
from o2c.ledger.models import Customer
from tests.api.conftest import headers


def _customers(client) -> int:
    with unit_of_work(client.app.state.ctx.session_factory) as session:
        return session.scalar(select(func.count()).select_from(Customer))


def test_master_data_over_the_limit_is_413_and_changes_nothing(api_settings, samples):
    small = Settings(**{**api_settings.model_dump(), "max_upload_bytes": 100_000})
    with TestClient(create_app(small)) as client:
        limit = client.app.state.ctx.max_upload_bytes
        header = (samples / "customers.csv").read_text().splitlines()[0]
        row = "C-9{n:05d},Big Buyer {n},,,Road {n},1000,USD,Net 30\n"
        rows, size = [], len(header) + 1
        n = 0
        while size <= limit + 10:  # a valid file, just too long: cut at the limit it would still parse
            line = row.format(n=n)
            rows.append(line)
            size += len(line)
            n += 1
        body = (header + "\n" + "".join(rows)).encode()
        r = client.post(
            "/master-data/customers", files={"file": ("customers.csv", body, "text/csv")}, headers=headers("erp")
        )
        assert r.status_code == 413, r.text
        assert r.json()["error"] == "document_too_large"
        assert _customers(client) == 0

        # well under the limit it works (the limit is about the file, not about the multipart envelope)
        fits = (header + "\n" + "".join(rows[: len(rows) * 9 // 10])).encode()
        r = client.post(
            "/master-data/customers", files={"file": ("customers.csv", fits, "text/csv")}, headers=headers("erp")
        )
        assert r.status_code == 200, r.text
        assert _customers(client) == len(rows) * 9 // 10


def _asgi_post(app, path: str, body_size: int, request_headers: dict[str, str], chunk: int = 64 * 1024):
    """POST straight into the ASGI app, counting how much of the body the app asked for."""
    consumed = {"bytes": 0, "status": None}
    sent = 0

    async def receive():
        nonlocal sent
        if sent >= body_size:
            return {"type": "http.request", "body": b"", "more_body": False}
        piece = min(chunk, body_size - sent)
        sent += piece
        consumed["bytes"] = sent
        return {"type": "http.request", "body": b"x" * piece, "more_body": sent < body_size}

    async def send(message):
        if message["type"] == "http.response.start":
            consumed["status"] = message["status"]

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "scheme": "http",
        "server": ("testserver", 80),
        "client": ("127.0.0.1", 1234),
        "headers": [(k.lower().encode(), v.encode()) for k, v in request_headers.items()],
    }
    asyncio.run(app(scope, receive, send))
    return consumed


def test_upload_without_a_key_is_refused_before_the_body_is_read(api_settings):
    app = create_app(api_settings)
    three_mb = 3 * 1024 * 1024
    no_key = _asgi_post(
        app,
        "/documents",
        three_mb,
        {"content-type": "multipart/form-data; boundary=xyz", "content-length": str(three_mb)},
    )
    assert no_key == {"bytes": 0, "status": 401}
    wrong = _asgi_post(
        app,
        "/master-data/customers",
        three_mb,
        {"content-type": "multipart/form-data; boundary=xyz", "x-api-key": "guess"},
    )
    assert wrong == {"bytes": 0, "status": 401}


def test_a_wrong_role_is_refused_before_the_body_is_read(api_settings):
    """A reviewer's key may not push documents: 403 before a byte is read, whatever the body's size (not the
    413 of its length, nor the 422 of a body that would not parse); the right role with the same body is 413."""
    app = create_app(api_settings)
    three_mb = 3 * 1024 * 1024
    for declared in (True, False):
        length = {"content-length": str(three_mb)} if declared else {}
        upload = {"content-type": "multipart/form-data; boundary=xyz", **length}
        wrong = _asgi_post(app, "/documents", three_mb, {**upload, "x-api-key": headers("reviewer")["X-API-Key"]})
        assert wrong == {"bytes": 0, "status": 403}
        resolve = {"content-type": "application/json", **length, "x-api-key": headers("connector")["X-API-Key"]}
        assert _asgi_post(app, "/exceptions/1/resolve", three_mb, resolve) == {"bytes": 0, "status": 403}
    right = {"content-type": "multipart/form-data; boundary=xyz", "x-api-key": headers("connector")["X-API-Key"]}
    assert _asgi_post(app, "/documents", three_mb, {**right, "content-length": str(three_mb)})["status"] == 413


def test_a_body_without_content_length_is_cut_off_while_read(api_settings):
    app = create_app(api_settings)
    limit = api_settings.max_upload_bytes
    chunked = _asgi_post(
        app,
        "/documents/email",
        3 * 1024 * 1024,
        {"content-type": "message/rfc822", "x-api-key": headers("connector")["X-API-Key"]},
    )
    assert chunked["status"] == 413
    assert chunked["bytes"] <= limit + 64 * 1024 + 64 * 1024  # stopped at the limit, not read to the end
    declared = _asgi_post(
        app,
        "/documents",
        3 * 1024 * 1024,
        {
            "content-type": "multipart/form-data; boundary=xyz",
            "content-length": str(3 * 1024 * 1024),
            "x-api-key": headers("connector")["X-API-Key"],
        },
    )
    assert declared == {"bytes": 0, "status": 413}


def _mail(body: str) -> bytes:
    message = EmailMessage()
    message["From"] = "buyer@acme.example"
    message["To"] = "orders@us.example"
    message["Subject"] = "Note"
    message["Message-ID"] = "<same-id@acme.example>"
    message.set_content(body)
    return bytes(message)


def test_two_emails_reusing_one_message_id_are_two_documents(client, caplog):
    first = client.post(
        "/documents/email",
        content=_mail("first note, nothing to post"),
        headers={**headers("connector"), "Content-Type": "message/rfc822"},
    )
    second = client.post(
        "/documents/email",
        content=_mail("second note, other words"),
        headers={**headers("connector"), "Content-Type": "message/rfc822"},
    )
    assert first.status_code == 201 and second.status_code == 201, (first.text, second.text)
    assert first.json()["document_id"] != second.json()["document_id"]
    assert "arrived again with other content" in caplog.text
    again = client.post(
        "/documents/email",
        content=_mail("second note, other words"),
        headers={**headers("connector"), "Content-Type": "message/rfc822"},
    )
    assert again.json()["document_id"] == second.json()["document_id"]  # a true retry is answered as before
    with unit_of_work(client.app.state.ctx.session_factory) as session:
        assert session.scalar(select(func.count()).select_from(Document)) == 2


def test_keys_are_kept_only_as_digests(client):
    kept = client.app.state.api_keys
    assert all(len(k) == 64 for k in kept) and "k-admin" not in kept
    assert client.get("/summary", headers=headers("reviewer")).status_code == 200


def test_admin_reprocess_route(client):
    r = client.post(
        "/documents",
        files={"file": ("note.txt", b"nothing to post in here", "text/plain")},
        headers=headers("connector"),
    )
    document_id = r.json()["document_id"]
    assert client.post(f"/documents/{document_id}/reprocess", headers=headers("connector")).status_code == 403
    r = client.post(f"/documents/{document_id}/reprocess", headers=headers("admin"))
    assert r.status_code == 409 and "is processed" in r.json()["message"]
    assert client.post("/documents/999999/reprocess", headers=headers("admin")).status_code == 404


def test_a_webhook_url_without_a_secret_refuses_to_start(api_settings):
    unsafe = Settings(**{**api_settings.model_dump(), "webhook_url": "http://127.0.0.1:9/hook"})
    with pytest.raises(ConfigurationError, match="O2C_WEBHOOK_SECRET is empty"):
        create_app(unsafe)
    with pytest.raises(ConfigurationError):
        WebhookPolicy.from_settings(unsafe)
    safe = Settings(
        **{**api_settings.model_dump(), "webhook_url": "http://127.0.0.1:9/hook", "webhook_secret": "s3cr3t-value"}
    )
    policy = WebhookPolicy.from_settings(safe)
    assert policy.secret == "s3cr3t-value"
    assert "s3cr3t-value" not in repr(policy) and "s3cr3t-value" not in repr(safe)
    assert "s3cr3t-value" not in str(safe.model_dump())
