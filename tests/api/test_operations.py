"""Summary, Prometheus metrics, page images, and webhooks delivered to a local receiver with a retry."""

from __future__ import annotations

import io
import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from typer.testing import CliRunner

from o2c.api.app import create_app
from o2c.cli.main import app
from o2c.core.db import utcnow
from o2c.erp.outbox import WebhookPolicy, deliver_due, verify
from tests.api.conftest import headers


def _upload(client, samples, name):
    with open(samples / name, "rb") as fh:
        r = client.post("/documents", files={"file": (name, fh, "application/pdf")}, headers=headers("connector"))
    assert r.status_code in (200, 201), r.text
    return r.json()


def test_summary_and_metrics(loaded_client, samples):
    for name in ("po_acme_45810.pdf", "po_redwood_price_mismatch.pdf", "remit_greatlakes_ach.pdf"):
        _upload(loaded_client, samples, name)
    summary = loaded_client.get("/summary", headers=headers("reviewer")).json()
    assert summary["documents_by_status"]["processed"] == 3
    assert 0 < summary["touchless_rate"] < 1
    assert summary["open_exceptions_by_reason"] == {"price_mismatch": 1}
    assert summary["open_exceptions_by_age"]["<1h"] == 1
    assert summary["processing_seconds"]["p50"] is not None
    assert summary["auto_match_rate"]["invoice_level"] == 1.0
    text = loaded_client.get("/metrics", headers=headers("erp")).text
    assert 'o2c_documents{status="processed"} 3.0' in text and 'o2c_rate{kind="touchless"}' in text


def test_summary_cli(api_settings, monkeypatch):
    monkeypatch.setenv("O2C_DATABASE_URL", api_settings.database_url)
    monkeypatch.setenv("O2C_DATA_DIR", str(api_settings.data_dir))
    result = CliRunner().invoke(app, ["summary"])
    assert result.exit_code == 0, result.output
    assert "touchless_rate" in json.loads(result.output.strip().splitlines()[-1])


def test_page_image_draws_the_field_boxes(loaded_client, samples):
    body = _upload(loaded_client, samples, "po_acme_45810.pdf")
    r = loaded_client.get(f"/documents/{body['document_id']}/pages/1.png", headers=headers("reviewer"))
    assert r.status_code == 200 and r.headers["content-type"] == "image/png"
    assert int(r.headers["X-O2C-Fields"]) > 3
    image = Image.open(io.BytesIO(r.content)).convert("RGB")
    assert image.width > 1000 and (214, 39, 40) in {c for _n, c in image.getcolors(1 << 24)}  # a box outline was drawn
    assert (
        loaded_client.get(f"/documents/{body['document_id']}/pages/9.png", headers=headers("reviewer")).status_code
        == 404
    )
    assert loaded_client.get("/documents/424242/pages/1.png", headers=headers("reviewer")).status_code == 404


class _Receiver(BaseHTTPRequestHandler):
    calls: list = []
    fail_first = 1

    def do_POST(self):  # noqa: N802 - http.server's name
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.calls.append((dict(self.headers), body))
        status = 503 if len(self.calls) <= self.fail_first else 200
        self.send_response(status)
        self.end_headers()

    def log_message(self, *_args):
        pass


@pytest.fixture
def receiver():
    _Receiver.calls = []
    server = HTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/hook", _Receiver.calls
    server.shutdown()


def test_webhooks_are_signed_retried_and_idempotent(loaded_client, samples, receiver):
    url, calls = receiver
    _upload(loaded_client, samples, "po_acme_45810.pdf")
    factory = loaded_client.app.state.ctx.session_factory
    policy = WebhookPolicy(url=url, secret="s3cret", backoff=(1, 1))
    now = utcnow()
    first = deliver_due(factory, policy, now=now)
    assert first["retrying"] == 1 and first["delivered"] >= 1, (first, calls)  # the receiver refused the first
    failed_key = calls[0][0]["Idempotency-Key"]
    assert deliver_due(factory, policy, now=now)["retrying"] == 0 and len(calls) == first["delivered"] + 1
    later = deliver_due(factory, policy, now=now + timedelta(seconds=2))
    assert later == {"delivered": 1, "retrying": 0, "dead": 0}
    headers_, body = calls[-1]
    assert headers_["Idempotency-Key"] == failed_key
    assert verify("s3cret", headers_["X-O2C-Signature"], body, now=int((now + timedelta(seconds=2)).timestamp()))
    assert not verify("wrong", headers_["X-O2C-Signature"], body)
    kinds = {json.loads(b)["type"] for _h, b in calls}
    assert "order.posted" in kinds
    keys = [h["Idempotency-Key"] for h, _b in calls]
    assert len(set(keys)) == len(keys) - 1  # only the retried event was sent twice, with the same key
    assert deliver_due(factory, policy, now=now + timedelta(minutes=5)) == {"delivered": 0, "retrying": 0, "dead": 0}
    outbox = loaded_client.get("/webhooks/outbox", headers=headers("admin")).json()["items"]
    assert all(row["status"] == "delivered" for row in outbox)
    assert loaded_client.post("/webhooks/deliver", headers=headers("admin")).status_code == 409  # no URL set


def test_webhooks_through_the_api_with_a_configured_url(api_settings, receiver):
    url, calls = receiver
    _Receiver.fail_first = 0
    try:
        settings = api_settings.model_copy(update={"webhook_url": url, "webhook_secret": "k"})
        with TestClient(create_app(settings)) as client:
            header = b"customer_id,name,aliases,email_domains,address,credit_limit,currency,payment_terms\n"
            client.post(
                "/master-data/customers",
                files={"file": ("c.csv", header + b"C-1,A,,,,1,USD,\n", "text/csv")},
                headers=headers("erp"),
            )
            assert client.post("/webhooks/deliver", headers=headers("admin")).status_code == 200
    finally:
        _Receiver.fail_first = 1
