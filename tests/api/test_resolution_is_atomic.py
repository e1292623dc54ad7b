"""A resolution and its re-decision commit together or not at all (issue 14): when the ledger refuses the
posting, the reviewer's change is not kept, the exception stays open with the rule in its evidence, and the
reviewer gets the rule back; the books still reconcile."""

from __future__ import annotations

from o2c.ledger.errors import DuplicateOrder
from o2c.pipeline import decide
from tests.api.conftest import headers
from tests.api.test_reviewer_day import REV, _harbor_po, _resolve, _upload
from tests.fixtures.layouts import render


def test_a_refused_re_decision_leaves_the_exception_open_with_the_rule(loaded_client, monkeypatch):
    outcome = _upload(loaded_client, "harbor.pdf", render(_harbor_po(part_number="HX-OIL-47")))
    assert outcome["status"] == "exception" and "unknown_product" in outcome["reasons"], outcome
    exception_id = outcome["exception_id"]

    def refuse(*_args, **_kwargs):
        raise DuplicateOrder("PO 4711 was posted for this customer a moment ago", po_number="4711")

    monkeypatch.setattr(decide, "post_order", refuse)  # the ledger refuses at the moment of posting
    r = _resolve(loaded_client, exception_id, {"action": "choose_product", "line": 0, "sku": "SEL-3020"})
    assert r.status_code == 409 and r.json()["error"] == "duplicate_order", r.text

    item = loaded_client.get(f"/exceptions/{exception_id}", headers=REV).json()
    assert item["status"] in ("open", "claimed"), item
    assert any(e.get("reason") == "duplicate_order" and e.get("action") == "choose_product" for e in item["evidence"])
    document = loaded_client.get(f"/documents/{outcome['document_id']}", headers=REV).json()
    (extraction,) = document["extractions"]
    assert extraction["status"] == "exception"
    assert extraction["order"]["lines"][0]["sku"] == "HX-OIL-47", "the reviewer's choice was rolled back"
    assert loaded_client.get("/orders", headers=headers("erp")).json()["items"] == []
    assert loaded_client.get("/aliases/part-numbers", headers=REV).json()["items"] == [], "nothing learned"
    check = loaded_client.get("/ledger/check", headers=headers("admin"))
    assert check.status_code == 200 and check.json()["ok"] is True, check.text

    monkeypatch.undo()  # the ledger accepts again: the same choice now posts
    r = _resolve(loaded_client, exception_id, {"action": "choose_product", "line": 0, "sku": "SEL-3020"})
    assert r.status_code == 200 and r.json()["status"] == "posted", r.text


def test_a_refused_cash_resolution_leaves_the_exception_open_with_the_rule(loaded_client, samples):
    """apply_cash ends in the same decide step as a touchless advice: the ledger refuses an application beyond
    the payment, so nothing is posted, the payer the reviewer named is not kept, the exception stays open with
    the rule; on account, the same advice then posts through that step (outcome and event as any posting)."""
    remit = _upload(loaded_client, "remit.pdf", (samples / "remit_harbor_unmatched.pdf").read_bytes())
    assert remit["status"] == "exception", remit
    exception_id = remit["exception_id"]
    too_much = {
        "action": "apply_cash",
        "customer_id": "C-1006",
        "applications": [{"invoice_number": "INV-10007", "amount": "99999.00"}],
    }
    r = _resolve(loaded_client, exception_id, too_much)
    assert r.status_code == 409 and r.json()["rule"], r.text
    rule = r.json()["error"]
    item = loaded_client.get(f"/exceptions/{exception_id}", headers=REV).json()
    assert item["status"] in ("open", "claimed"), item
    assert any(e.get("reason") == rule and e.get("action") == "apply_cash" for e in item["evidence"]), item
    (extraction,) = loaded_client.get(f"/documents/{remit['document_id']}", headers=REV).json()["extractions"]
    assert extraction["status"] == "exception"
    assert extraction["remittance"].get("customer_id") != "C-1006", "the reviewer's payer was rolled back"
    assert loaded_client.get("/payments", headers=headers("erp")).json()["items"] == []
    check = loaded_client.get("/ledger/check", headers=headers("admin"))
    assert check.status_code == 200 and check.json()["ok"] is True, check.text

    r = _resolve(loaded_client, exception_id, {"action": "on_account", "customer_id": "C-1006"})
    assert r.status_code == 200 and r.json()["status"] == "posted", r.text
    assert r.json()["exception_id"] == exception_id and r.json()["applications"] == []
    (payment,) = loaded_client.get("/payments", headers=headers("erp")).json()["items"]
    assert payment["customer_id"] == "C-1006"
