"""The API enters through the same door as the CLI and the connectors: a bank statement mailed as an attachment
to POST /documents/email is imported (issue 14: it used to be marked "read by banking" and dropped)."""

from __future__ import annotations

from decimal import Decimal
from email.message import EmailMessage

from tests.api.conftest import headers
from tests.bank.generators import Credit, camt053


def _mail_with_statement() -> bytes:
    msg = EmailMessage()
    msg["From"] = "treasury@bank.example"
    msg["To"] = "ar@o2c.example"
    msg["Subject"] = "Daily statement"
    msg["Message-ID"] = "<stmt-1@bank.example>"
    msg.set_content("Please find today's statement attached.")
    msg.add_attachment(
        camt053([Credit(Decimal("150.00"), reference="REF-77")]),
        maintype="application",
        subtype="xml",
        filename="camt053.xml",
    )
    return msg.as_bytes()


def test_a_statement_mailed_to_the_api_is_imported(client):
    mail = _mail_with_statement()
    r = client.post(
        "/documents/email", content=mail, headers={**headers("connector"), "Content-Type": "message/rfc822"}
    )
    assert r.status_code == 201, r.text
    credits = [o for o in r.json()["outcomes"] if o["document_type"] == "bank_credit"]
    assert len(credits) == 1, r.json()
    assert Decimal(str(credits[0]["amount"])) == Decimal("150.00")
    # the same mail again (a connector's retry) is answered as before and records no second credit
    again = client.post(
        "/documents/email", content=mail, headers={**headers("connector"), "Content-Type": "message/rfc822"}
    )
    assert again.json()["document_id"] == r.json()["document_id"]
    (credit_again,) = [o for o in again.json()["outcomes"] if o["document_type"] == "bank_credit"]
    assert credit_again.get("duplicate") or credit_again["bank_credit_id"] == credits[0]["bank_credit_id"], again.json()
