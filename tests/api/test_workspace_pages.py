"""The workspace without a browser: a queue of 10,000 pages quickly, forms need the session's CSRF token, a
broken ledger rule is a message naming the rule, and a bank credit in review offers apply / on account / return."""

from __future__ import annotations

import re
import time
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import insert

from o2c.api.workspace.views import field_label
from o2c.core.db import unit_of_work, utcnow
from o2c.pipeline.statements import unapplied
from o2c.review.models import ExceptionItem
from tests.api.conftest import KEYS, headers
from tests.bank.generators import Credit, camt054


def _signed_in(client, role: str = "reviewer"):
    form = client.get("/review/sign-in").text
    token = re.search(r'name="csrf" value="([^"]+)"', form).group(1)
    assert (
        client.post("/review/sign-in", data={"api_key": KEYS[role], "csrf": token}, follow_redirects=False).status_code
        == 303
    )
    page = client.get("/review").text
    return re.search(r'name="csrf" value="([^"]+)"', page).group(1)


def test_the_queue_pages_through_ten_thousand_items(loaded_client, samples):
    client = loaded_client
    posted = client.post(
        "/documents",
        files={"file": ("po.pdf", (samples / "po_acme_45810.pdf").read_bytes(), "application/pdf")},
        headers=headers("connector"),
    ).json()
    assert posted["outcomes"][0]["status"] == "posted"
    now = utcnow()
    rows = [
        {
            "document_id": posted["document_id"],
            "extraction_id": None,
            "document_type": "purchase_order",
            "reasons": ["price_mismatch" if n % 3 else "unknown_product"],
            "evidence": [],
            "customer_id": "C-1001",
            "amount_at_risk": n,
            "currency": "USD",
            "status": "open",
            "priority": n % 500,
            "due_at": now + timedelta(hours=24),
            "created_at": now - timedelta(minutes=n),
            "updated_at": now,
        }
        for n in range(1, 10_001)
    ]
    with unit_of_work(client.app.state.ctx.session_factory) as session:
        session.execute(insert(ExceptionItem), rows)
    _signed_in(client)
    started = time.perf_counter()
    first = client.get("/review", params={"sort": "amount"}).text
    last = client.get("/review", params={"sort": "amount", "page": 200}).text
    assert time.perf_counter() - started < 8  # two pages, on a shared 2-core machine
    assert first.count('data-testid="exception-row"') == 50 and 'rel="next"' in first
    assert "USD 10,000.00" in first
    assert last.count('data-testid="exception-row"') == 50 and 'rel="next"' not in last and "USD 50.00" in last
    beyond = client.get("/review", params={"sort": "amount", "page": 201}).text
    assert 'data-testid="exception-row"' not in beyond and "Nothing waiting" in beyond
    filtered = client.get("/review", params={"reason": "unknown_product", "min_amount": "9990"}).text
    assert filtered.count('data-testid="exception-row"') == 4  # unknown_product every 3rd: 9990, 9993, 9996, 9999
    bad = client.get("/review", params={"min_amount": "lots"}).text
    assert "is not a number" in bad


def test_forms_need_the_sessions_csrf_token_and_rules_are_named(loaded_client, samples):
    r = loaded_client.post(
        "/documents",
        files={"file": ("r.pdf", (samples / "remit_harbor_unmatched.pdf").read_bytes(), "application/pdf")},
        headers=headers("connector"),
    )
    exception_id = r.json()["outcomes"][0]["exception_id"]
    csrf = _signed_in(loaded_client)
    url = f"/review/{exception_id}/resolve"
    assert loaded_client.post(url, data={"action": "dismiss"}).status_code == 403
    assert loaded_client.post(url, data={"action": "dismiss", "csrf": "forged"}).status_code == 403
    as_file = {"csrf": ("csrf.txt", csrf.encode(), "text/plain")}  # a file is no token (it was a 500)
    assert loaded_client.post(f"/review/{exception_id}/claim", files=as_file).status_code == 403
    page = loaded_client.get(f"/review/{exception_id}").text
    assert 'data-testid="invoice-candidate" data-invoice="INV-10007"' in page  # its reference scores first
    assert page.index('data-invoice="INV-10007"') < page.index('data-invoice="INV-10008"')
    refused = loaded_client.post(
        url, data={"action": "apply_cash", "csrf": csrf, "customer_id": "C-1006", "apply.INV-10007": "99999.00"}
    )
    assert refused.status_code == 409
    assert "Refused:" in refused.text
    assert "insufficient_unapplied_balance" in refused.text or "over_application" in refused.text
    assert "Traceback" not in refused.text
    assert loaded_client.get(f"/exceptions/{exception_id}", headers=headers("reviewer")).json()["status"] == "open"
    done = loaded_client.post(
        url,
        data={
            "action": "apply_cash",
            "csrf": csrf,
            "customer_id": "C-1006",
            "apply.INV-10007": "6480.00",
            "apply.INV-10008": "415.50",
        },
        follow_redirects=False,
    )
    assert done.status_code == 303 and "posted" in done.headers["location"]
    assert loaded_client.get(f"/exceptions/{exception_id}", headers=headers("reviewer")).json()["status"] == "resolved"
    signed_out = loaded_client.post("/review/sign-out", data={"csrf": csrf}, follow_redirects=False)
    assert signed_out.status_code == 303 and 'o2c_session=""' in signed_out.headers["set-cookie"]


def test_a_bank_credit_in_review_can_be_returned_from_its_page(loaded_client):
    statement = camt054(
        [
            Credit(
                Decimal("90.00"),
                payer="Nobody We Know Ltd",
                invoices=[("INV-9999", Decimal("90.00"))],
                end_to_end="E2E-W1",
            )
        ]
    )
    r = loaded_client.post(
        "/documents", files={"file": ("ntf.xml", statement, "application/xml")}, headers=headers("connector")
    )
    assert r.status_code in (200, 201), r.text
    (outcome,) = r.json()["outcomes"]
    assert outcome["bank_status"] == "review" and outcome["exception_id"], outcome
    assert [row["status"] for row in unapplied(loaded_client.app.state.ctx)] == ["review"]
    csrf = _signed_in(loaded_client)
    page = loaded_client.get(f"/review/{outcome['exception_id']}").text
    assert 'data-testid="resolve-return"' in page and 'data-testid="resolve-on_account"' in page
    assert 'data-testid="resolve-dismiss"' not in page  # cash that arrived is applied, kept or sent back
    assert "Nobody We Know Ltd" in page
    done = loaded_client.post(
        f"/review/{outcome['exception_id']}/resolve",
        data={"action": "return", "note": "not our customer", "csrf": csrf},
        follow_redirects=False,
    )
    assert done.status_code == 303 and "returned" in done.headers["location"]
    assert unapplied(loaded_client.app.state.ctx) == []  # returned: no longer cash waiting to be applied


def test_field_labels_read_as_words_and_an_odd_path_part_is_shown_as_it_is():
    assert field_label("order.lines[0].unit_price") == "Line 1 · Unit price"
    assert field_label("remittance.items[2].invoice_number").startswith("Item 3 · ")
    assert field_label("order.-") == "-"  # was an AttributeError on the regex's None
