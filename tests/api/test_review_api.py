"""The reviewer's side: an exception with evidence, a claim held by someone else, a correction that posts."""

from __future__ import annotations

from decimal import Decimal

from tests.api.conftest import KEYS, headers


def _ingest(client, samples, name):
    with open(samples / name, "rb") as fh:
        r = client.post("/documents", files={"file": (name, fh, "application/pdf")}, headers=headers("connector"))
    assert r.status_code in (200, 201), r.text
    return r.json()["outcomes"][0]


def test_price_mismatch_goes_to_review_with_evidence_and_a_correction_posts_it(loaded_client, samples, api_settings):
    outcome = _ingest(loaded_client, samples, "po_redwood_price_mismatch.pdf")
    assert outcome["status"] == "exception" and "price_mismatch" in outcome["reasons"]
    exception_id = outcome["exception_id"]

    item = loaded_client.get(f"/exceptions/{exception_id}", headers=headers("reviewer")).json()
    evidence = [e for e in item["evidence"] if e.get("field", "").endswith("unit_price")]
    assert evidence and evidence[0]["expected"] and evidence[0]["read"]

    assert loaded_client.post(f"/exceptions/{exception_id}/claim", headers=headers("reviewer")).status_code == 200
    # another reviewer (admin key) cannot take or resolve it while the claim is live
    assert loaded_client.post(f"/exceptions/{exception_id}/claim", headers=headers("admin")).status_code == 409
    body = {"action": "reject", "note": "not ours"}
    assert (
        loaded_client.post(f"/exceptions/{exception_id}/resolve", json=body, headers=headers("admin")).status_code
        == 409
    )

    # the reviewer corrects the price to the contract price: the same rules run again and it posts
    view = loaded_client.get(f"/documents/{outcome['document_id']}", headers=headers("reviewer")).json()
    lines = view["extractions"][0]["order"]["lines"]
    field = evidence[0]["field"]  # order.lines[i].unit_price
    index = int(field.split("[")[1].split("]")[0])
    lines[index]["unit_price"] = evidence[0]["expected"]
    lines[index]["amount"] = str(Decimal(lines[index]["quantity"]) * Decimal(evidence[0]["expected"]))
    order = view["extractions"][0]["order"]
    old_net = Decimal(order["total"]) - Decimal(order.get("tax") or "0")
    new_net = sum((Decimal(line["amount"]) for line in lines), Decimal("0"))
    total = str(Decimal(order["total"]) + new_net - old_net)
    resolved = loaded_client.post(
        f"/exceptions/{exception_id}/resolve",
        json={
            "action": "correct",
            "changes": {"order": {"lines": lines, "total": total}},
            "note": "contract price applies",
        },
        headers=headers("reviewer"),
    )
    assert resolved.status_code == 200, resolved.text
    assert resolved.json()["status"] == "posted", resolved.json()
    item = loaded_client.get(f"/exceptions/{exception_id}", headers=headers("reviewer")).json()
    assert item["status"] == "resolved" and item["resolved_by"].startswith("reviewer:")
    assert (
        loaded_client.post(
            f"/exceptions/{exception_id}/resolve", json={"action": "reject"}, headers=headers("reviewer")
        ).status_code
        == 409
    )
    assert KEYS["reviewer"] not in item["resolved_by"], "the audit names the key, never the secret"


def test_resolution_validation(loaded_client, samples):
    outcome = _ingest(loaded_client, samples, "po_harbor_unknown_sku.pdf")
    assert "unknown_product" in outcome["reasons"]
    exception_id = outcome["exception_id"]
    r = loaded_client.post(
        f"/exceptions/{exception_id}/resolve", json={"action": "correct"}, headers=headers("reviewer")
    )
    assert r.status_code == 422
    r = loaded_client.post(
        f"/exceptions/{exception_id}/resolve", json={"action": "explode"}, headers=headers("reviewer")
    )
    assert r.status_code == 422 and "action" in r.text
    assert (
        loaded_client.post(
            "/exceptions/99999/resolve", json={"action": "reject"}, headers=headers("reviewer")
        ).status_code
        == 404
    )
    r = loaded_client.post(
        f"/exceptions/{exception_id}/resolve", json={"action": "reject", "note": "spam"}, headers=headers("reviewer")
    )
    assert r.status_code == 200 and r.json()["status"] == "rejected"
