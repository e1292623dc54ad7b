"""A reviewer's day through the HTTP API: list and sort, claim, resolve each kind, learning, audit trail."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

from tests.api.conftest import headers
from tests.fixtures.generate import sample_orders
from tests.fixtures.layouts import Line, render

REV = headers("reviewer")


def _upload(client, name: str, content: bytes) -> dict:
    r = client.post("/documents", files={"file": (name, content, "application/pdf")}, headers=headers("connector"))
    assert r.status_code in (200, 201), r.text
    return r.json()["outcomes"][0]


def _sample(client, samples, name: str) -> dict:
    return _upload(client, name, (samples / name).read_bytes())


def _resolve(client, exception_id: int, body: dict, role: str = "reviewer"):
    return client.post(f"/exceptions/{exception_id}/resolve", json=body, headers=headers(role))


def _harbor_po(part_number: str = "SEL-3020", **changes):
    """Harbor's PO with one line: our oil seal, under `part_number` (their own number, or our SKU)."""
    spec = next(s for name, s, _ in sample_orders() if name == "po_harbor_unknown_sku.pdf")
    seal = Line(part_number, "Oil seal 30x47x7 NBR", Decimal("100"), Decimal("1.95"), "EA")
    return dataclasses.replace(spec, lines=[seal], **changes)


def test_list_filter_sort_and_claims(loaded_client, samples):
    a = _sample(loaded_client, samples, "po_redwood_price_mismatch.pdf")
    b = _sample(loaded_client, samples, "po_harbor_unknown_sku.pdf")
    page = loaded_client.get("/exceptions", params={"sort": "amount"}, headers=REV).json()["items"]
    assert {a["exception_id"], b["exception_id"]} <= {i["id"] for i in page}
    amounts = [float(i["amount_at_risk"] or 0) for i in page]
    assert amounts == sorted(amounts, reverse=True)
    first = page[0]
    assert first["due_at"] and first["priority"] >= 0 and first["age_seconds"] >= 0 and not first["overdue"]
    only = loaded_client.get("/exceptions", params={"reason": "price_mismatch"}, headers=REV).json()["items"]
    assert [i["id"] for i in only] == [a["exception_id"]]
    assert loaded_client.get("/exceptions", params={"sort": "nonsense"}, headers=REV).status_code == 422
    assert loaded_client.get("/exceptions", params={"min_amount": "999999999"}, headers=REV).json()["items"] == []

    claimed = loaded_client.post(f"/exceptions/{a['exception_id']}/claim", headers=REV)
    assert claimed.status_code == 200 and claimed.json()["status"] == "claimed" and claimed.json()["claimed_until"]
    other = loaded_client.post(f"/exceptions/{a['exception_id']}/claim", headers=headers("admin"))
    assert other.status_code == 409 and other.json()["error"] == "exception_claimed" and other.json()["rule"]
    assert loaded_client.post(f"/exceptions/{a['exception_id']}/release", headers=headers("admin")).status_code == 409
    assert loaded_client.post(f"/exceptions/{a['exception_id']}/release", headers=REV).json()["status"] == "open"
    assert loaded_client.post(f"/exceptions/{a['exception_id']}/claim", headers=headers("admin")).status_code == 200
    assert loaded_client.post("/exceptions/987654/claim", headers=REV).status_code == 404


def test_each_kind_of_resolution_and_its_audit_trail(loaded_client, samples):
    # approve a price override with a note: the same rules run with the approved price and the order posts
    price = _sample(loaded_client, samples, "po_redwood_price_mismatch.pdf")
    r = _resolve(loaded_client, price["exception_id"], {"action": "approve_price"})
    assert r.status_code == 422 and "note" in r.text
    r = _resolve(loaded_client, price["exception_id"], {"action": "approve_price", "note": "agreed by sales"})
    assert r.status_code == 200 and r.json()["status"] == "posted", r.text

    # choose the SKU for an unknown customer part number: posts, and is learned
    sku = _sample(loaded_client, samples, "po_harbor_unknown_sku.pdf")
    item = loaded_client.get(f"/exceptions/{sku['exception_id']}", headers=REV).json()
    unknown = [e for e in item["evidence"] if e["reason"] == "unknown_product"]
    line = int(unknown[0]["field"].split("[")[1].split("]")[0])
    view = loaded_client.get(f"/documents/{sku['document_id']}", headers=REV).json()
    read_sku = view["extractions"][0]["order"]["lines"][line]["sku"]
    assert (
        _resolve(
            loaded_client, sku["exception_id"], {"action": "choose_product", "line": line, "sku": "NO-SUCH-SKU"}
        ).status_code
        == 404
    )
    assert (
        _resolve(
            loaded_client, sku["exception_id"], {"action": "choose_product", "line": 99, "sku": "BRG-6204"}
        ).status_code
        == 422
    )
    products = (samples / "products.csv").read_text().splitlines()[1:]
    chosen = products[0].split(",")[0]
    r = _resolve(
        loaded_client,
        sku["exception_id"],
        {"action": "choose_product", "line": line, "sku": chosen, "note": "their part number"},
    )
    assert r.status_code == 200, r.text
    assert r.json()["status"] in ("posted", "exception")  # posted unless its price differs from the chosen SKU's
    learned = loaded_client.get("/aliases/part-numbers", headers=REV).json()["items"]
    assert any(a["alias"] == read_sku and a["sku"] == chosen and "reviewer" in a["provenance"] for a in learned)

    # reject and dismiss
    credit = _sample(loaded_client, samples, "po_pioneer_credit_hold.pdf")
    assert (
        _resolve(loaded_client, credit["exception_id"], {"action": "reject", "note": "on hold"}).json()["status"]
        == "rejected"
    )
    dup = _sample(loaded_client, samples, "po_acme_45810.pdf")
    assert dup["status"] == "posted"
    resend = _sample(loaded_client, samples, "po_acme_45810_resend.pdf")
    r = _resolve(loaded_client, resend["exception_id"], {"action": "dismiss", "note": "a copy, not an order"})
    assert r.status_code == 200 and r.json()["status"] == "rejected"
    assert loaded_client.get(f"/exceptions/{resend['exception_id']}", headers=REV).json()["status"] == "dismissed"

    # cash: over-applying is refused with the rule, nothing changes; then a valid manual application posts
    remit = _sample(loaded_client, samples, "remit_harbor_unmatched.pdf")
    exception_id = remit["exception_id"]
    invoices = loaded_client.get("/invoices", params={"limit": 1000}, headers=headers("erp")).json()["items"]
    target = next(i for i in invoices if i["invoice_number"] == "INV-10007")
    too_much = {"action": "apply_cash", "applications": [{"invoice_number": "INV-10007", "amount": "99999.00"}]}
    r = _resolve(loaded_client, exception_id, too_much)
    assert r.status_code == 409 and r.json()["error"] in ("over_application", "insufficient_unapplied_balance")
    assert r.json()["rule"]
    assert loaded_client.get(f"/exceptions/{exception_id}", headers=REV).json()["status"] == "open"
    r = _resolve(
        loaded_client,
        exception_id,
        {
            "action": "apply_cash",
            "applications": [{"invoice_number": "INV-10007", "amount": target["open_amount"]}],
            "note": "INV-10099 unknown: on account",
        },
    )
    assert r.status_code == 200 and r.json()["status"] == "posted", r.text
    assert r.json()["applications"][0]["invoice_number"] == "INV-10007"
    assert _resolve(loaded_client, exception_id, {"action": "on_account"}).status_code == 409  # closed

    # the audit trail: who, when, what changed, why
    trail = loaded_client.get(f"/exceptions/{sku['exception_id']}/audit", headers=REV).json()["events"]
    kinds = [e["kind"] for e in trail]
    assert kinds[0] == "exception.opened" and "exception.resolved" in kinds and "extraction.corrected" in kinds
    resolved = next(e for e in trail if e["kind"] == "exception.resolved")
    assert resolved["actor"].startswith("reviewer:") and resolved["at"]
    assert resolved["payload"]["resolution"]["note"] == "their part number"
    corrected = next(e for e in trail if e["kind"] == "extraction.corrected")
    assert (
        corrected["payload"]["changed"][0]["before"] == read_sku
        and corrected["payload"]["changed"][0]["after"] == chosen
    )
    assert loaded_client.get("/exceptions/424242/audit", headers=REV).status_code == 404


def test_on_account_posts_the_payment_unapplied(loaded_client, samples):
    remit = _sample(loaded_client, samples, "remit_harbor_unmatched.pdf")
    r = _resolve(loaded_client, remit["exception_id"], {"action": "on_account", "note": "customer to advise"})
    assert r.status_code == 200 and r.json()["status"] == "posted" and r.json()["applications"] == []
    payments = loaded_client.get("/payments", headers=headers("erp")).json()["items"]
    assert payments and payments[-1]["amount"].startswith("7680")


def test_a_learned_customer_makes_the_next_document_post_without_review(loaded_client):
    """The second document (same buyer name, different bytes and PO) posts without review; retiring undoes it."""
    name = "HMS Procurement Pool"
    first = _upload(
        loaded_client, "hms-1.pdf", render(_harbor_po(buyer_name=name, customer_no=None, po_number="HM-7001"))
    )
    assert first["status"] == "exception" and first["reasons"] == ["unknown_customer"], first
    r = _resolve(loaded_client, first["exception_id"], {"action": "choose_customer", "customer_id": "C-1006"})
    assert r.status_code == 200 and r.json()["status"] == "posted", r.text
    aliases = loaded_client.get("/aliases/customers", headers=REV).json()["items"]
    learned = next(a for a in aliases if a["alias"] == name)
    assert learned["customer_id"] == "C-1006" and learned["active"] and "reviewer" in learned["provenance"]

    second = _upload(
        loaded_client, "hms-2.pdf", render(_harbor_po(buyer_name=name, customer_no=None, po_number="HM-7002"))
    )
    assert second["status"] == "posted" and second["customer_id"] == "C-1006", second

    assert loaded_client.delete(f"/aliases/customers/{learned['id']}", headers=REV).json()["active"] is False
    third = _upload(
        loaded_client, "hms-3.pdf", render(_harbor_po(buyer_name=name, customer_no=None, po_number="HM-7003"))
    )
    assert "unknown_customer" in third["reasons"]
    assert loaded_client.delete("/aliases/customers/424242", headers=REV).status_code == 404


def test_a_learned_part_number_makes_the_second_order_post_without_review(loaded_client):
    first = _upload(loaded_client, "harbor-1.pdf", render(_harbor_po("HMS-0042", po_number="HM-8001")))
    assert first["reasons"] == ["unknown_product"], first
    r = _resolve(loaded_client, first["exception_id"], {"action": "choose_product", "line": 0, "sku": "SEL-3020"})
    assert r.status_code == 200 and r.json()["status"] == "posted", r.text
    second = _upload(loaded_client, "harbor-2.pdf", render(_harbor_po("HMS-0042", po_number="HM-8002")))
    assert second["status"] == "posted", second


def test_choosing_an_invoice_is_learned_and_judged_by_the_same_rules(loaded_client, samples):
    remit = _sample(loaded_client, samples, "remit_harbor_unmatched.pdf")
    item = loaded_client.get(f"/exceptions/{remit['exception_id']}", headers=REV).json()
    unmatched = next(e for e in item["evidence"] if e["reason"] == "unmatched_invoice")
    index = int(unmatched["field"].split("[")[1].split("]")[0])
    assert (
        _resolve(
            loaded_client,
            remit["exception_id"],
            {"action": "choose_invoice", "item": index, "invoice_number": "INV-NOPE"},
        ).status_code
        == 404
    )
    # INV-10008 has 415.50 open but the item pays 1200.00: the same cash rules never over-apply it, and 784.50
    # beyond the open item is over the over-payment tolerance, so a person decides (never silently on account)
    r = _resolve(
        loaded_client, remit["exception_id"], {"action": "choose_invoice", "item": index, "invoice_number": "INV-10008"}
    )
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "exception" and "overpayment" in r.json()["reasons"], r.json()
    assert r.json()["applications"] == []
    assert (
        loaded_client.get(f"/exceptions/{remit['exception_id']}", headers=REV).json()["resolution"]["invoice_number"]
        == "INV-10008"
    )
    learned = loaded_client.get("/aliases/references", headers=REV).json()["items"]
    assert learned[0]["alias"] == unmatched["read"] and learned[0]["invoice_number"] == "INV-10008"
