"""Documents through the HTTP API, inline mode: upload, duplicate, limits, bad files, lookup."""

from __future__ import annotations

from tests.api.conftest import headers


def _upload(client, name: str, content: bytes, role: str = "connector", **data):
    return client.post(
        "/documents", files={"file": (name, content, "application/octet-stream")}, data=data, headers=headers(role)
    )


def test_upload_posts_a_clean_po_and_a_second_upload_is_a_duplicate(loaded_client, samples):
    pdf = (samples / "po_acme_45810.pdf").read_bytes()
    first = _upload(loaded_client, "po_acme_45810.pdf", pdf)
    assert first.status_code == 201, first.text
    outcome = first.json()["outcomes"][0]
    assert outcome["status"] == "posted" and outcome["invoice_number"] and outcome["document_type"] == "purchase_order"

    again = _upload(loaded_client, "copy.pdf", pdf)
    assert again.status_code == 200
    assert again.json()["outcomes"][0]["status"] == "duplicate"
    assert again.json()["document_id"] == first.json()["document_id"]

    view = loaded_client.get(f"/documents/{first.json()['document_id']}", headers=headers("reviewer")).json()
    assert view["status"] == "processed" and len(view["receipts"]) == 2
    extraction = view["extractions"][0]
    assert extraction["order"]["po_number"] and extraction["confidence"]["document_type"] > 0
    assert extraction["provenance"], "fields must say where they were read"

    orders = loaded_client.get("/orders", headers=headers("erp")).json()
    assert [o["po_number"] for o in orders["items"]] == [outcome_po(view)]
    assert (
        loaded_client.get("/orders", params={"cursor": orders["next_cursor"]}, headers=headers("erp")).json()["items"]
        == []
    )


def outcome_po(view) -> str:
    return view["extractions"][0]["order"]["po_number"]


def test_oversized_upload_is_413_and_unsupported_type_is_415_but_kept(loaded_client):
    assert _upload(loaded_client, "big.pdf", b"%PDF-1.4\n" + b"0" * 2_100_000).status_code == 413
    r = _upload(loaded_client, "archive.zip", b"PK\x03\x04" + b"\x00" * 100)
    assert r.status_code == 415
    body = r.json()
    assert body["error"] == "unsupported_media_type" and body["document_id"]
    view = loaded_client.get(f"/documents/{body['document_id']}", headers=headers("connector")).json()
    assert view["status"] == "rejected" and view["error"]


def test_corrupt_pdf_is_422_with_reason_and_stored_rejected(loaded_client):
    r = _upload(loaded_client, "broken.pdf", b"%PDF-1.7\n1 0 obj <</Type /Catalog>> garbage without xref")
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["error"] == "unreadable" and body["message"]
    assert body["outcomes"][0]["status"] == "rejected" and body["outcomes"][0]["reasons"] == ["unreadable"]
    exceptions = loaded_client.get("/exceptions", headers=headers("reviewer")).json()["items"]
    assert any(e["document_id"] == body["document_id"] and e["reasons"] == ["unreadable"] for e in exceptions)


def test_email_push_yields_an_outcome_per_business_document(loaded_client, samples):
    raw = (samples / "mail_po_attachment.eml").read_bytes()
    r = loaded_client.post(
        "/documents/email", content=raw, headers={**headers("connector"), "Content-Type": "message/rfc822"}
    )
    assert r.status_code == 201, r.text
    outcomes = r.json()["outcomes"]
    assert any(o["document_type"] == "purchase_order" for o in outcomes)
    assert all("#" in o["source"] for o in outcomes)
    # the same message again (same Message-ID) is answered as before, not processed twice
    again = loaded_client.post(
        "/documents/email", content=raw, headers={**headers("connector"), "Content-Type": "message/rfc822"}
    )
    assert again.json()["document_id"] == r.json()["document_id"]


def test_unknown_document_is_404(client):
    r = client.get("/documents/999999", headers=headers("erp"))
    assert r.status_code == 404 and r.json()["error"] == "not_found"


def test_bad_master_data_file_is_refused_whole(client):
    bad = b"customer_id,name\nC-1,Acme\n"
    r = client.post("/master-data/customers", files={"file": ("c.csv", bad, "text/csv")}, headers=headers("erp"))
    assert r.status_code == 422
    assert "currency" in r.text or "missing" in r.text.lower()
