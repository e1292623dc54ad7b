"""The adversarial suite of issue 10: eleven ways the cash and order paths once posted wrongly, each run through
the real road on SQLite and on a fresh PostgreSQL database; none of them posts wrongly, and the ledger check
passes at the end of every one."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import StatementError

from o2c.core.currencies import in_minor_units
from o2c.core.db import unit_of_work
from o2c.core.errors import AmountNotStorable
from o2c.core.events import Event
from o2c.extraction.models import ExtractionRecord
from o2c.extraction.schema import PURCHASE_ORDER, ExtractedOrder, Extraction, OrderLine
from o2c.extraction.structured.reconcile import order_disagreements
from o2c.ledger.applications import reverse_application
from o2c.ledger.check import check_ledger
from o2c.ledger.errors import MasterDataError
from o2c.ledger.masterdata import import_master_data
from o2c.ledger.models import (
    CLAIM_CLOSED,
    CLAIM_OPEN,
    CashApplication,
    CustomerAlias,
    Deduction,
    ExpectedPayment,
    Invoice,
    Order,
    Payment,
)
from o2c.ledger.orders import DraftLine, OrderDraft, validate_order
from o2c.ledger.policy import LedgerPolicy
from o2c.matching.bank import BankPolicy
from o2c.matching.service import decide_order
from o2c.pipeline import claims
from o2c.pipeline.door import ingest
from o2c.pipeline.resolutions import resolve_exception
from o2c.pipeline.statements import import_statement
from o2c.review import learning
from o2c.review import service as review
from o2c.review.models import ExceptionItem
from tests.bank.generators import Credit, camt053

D = Decimal
# Acme has no bank feed and trusts its advices (from an authenticated sender); Globex's advices are claims
CUSTOMERS = """customer_id,name,aliases,email_domains,address,credit_limit,currency,payment_terms,trust_advices
C-1001,Acme Manufacturing Inc.,Acme Mfg,acme-mfg.example,"1200 Industrial Pkwy, Dayton, OH 45402",100000,USD,Net 30,yes
C-1008,Acme Medical Supplies LLC,,acmemed.example,"7 Harbor Rd, Boston MA",100000,USD,Net 30,no
C-1003,Globex Corporation,Globex,globex.example,"9 Elm Rd, Shelbyville",5000,USD,Net 30,
"""
PRODUCTS = """sku,description,uom,unit_price,currency
BRG-6204,Ball bearing 6204,EA,4.10,USD
BLT-B55,V-belt B55,EA,9.80,USD
CPL-L100,Jaw coupling L100,EA,12.40,USD
WID-100,Widget,EA,3.60,USD
"""
PRICES = "customer_id,sku,unit_price,min_quantity,valid_from,valid_to\n"
INVOICES = """invoice_number,customer_id,invoice_date,due_date,amount,open_amount,currency,po_number
INV-10001,C-1001,2026-02-20,2026-03-22,8120.45,8120.45,USD,PO-44001
INV-10002,C-1001,2026-02-25,2026-03-27,4225.22,4225.22,USD,PO-44002
INV-10003,C-1003,2026-03-01,2026-03-31,5000.00,5000.00,USD,PO-9001
"""


def _mail(sender: str, subject: str, body: str, message_id: str) -> bytes:
    domain = sender.rsplit("@", 1)[1].rstrip(">")
    # what our own mail server says it verified (only the sender's own domain passes DKIM)
    verified = (
        f"Authentication-Results: mx.northwind-industrial.example; dkim=pass header.d={domain}; "
        f"spf=pass smtp.mailfrom={domain}\n"
        if domain != "forger.example"
        else ""
    )
    return (
        f"{verified}From: {sender}\nTo: Northwind Orders <orders@northwind-industrial.example>\n"
        f"Subject: {subject}\n"
        f"Date: Tue, 17 Mar 2026 14:30:00 -0400\nMessage-ID: <{message_id}>\n"
        'Content-Type: text/plain; charset="utf-8"\nMIME-Version: 1.0\n\n' + body
    ).encode()


def _advice(
    amount: str,
    invoice: str,
    paid: str,
    *,
    reference: str = "ACH-20260317-7719",
    payer: str = "Acme Manufacturing Inc.",
) -> str:
    return (
        f"Hello,\n\nThis is to advise that we sent an ACH payment of ${amount}\nfor {invoice} on 03/17/2026.\n"
        f"Payment reference: {reference}\n\n  {invoice}   ${paid}\n\nRegards,\nAccounts Payable\n{payer}\n"
    )


def _po(po_number: str, lines: str, total: str) -> str:
    return (
        f"Hi Northwind team,\n\nPlease ship PO {po_number}:\n\n{lines}\nTotal: ${total}\n\n"
        "Ship to:\nAcme Manufacturing Inc. - Receiving Dock 4\n1200 Industrial Pkwy\nDayton, OH 45402\n\n"
        "Thanks,\nDana Whitfield\nPurchasing, Acme Manufacturing Inc.\n"
    )


ACME = "Accounts Payable <ap@acme-mfg.example>"
PO_LINES = "  10 x BRG-6204 at 4.10\n   4 x BLT-B55 at 9.80\n   2 x CPL-L100 at 12.40\n"


@pytest.fixture
def ctx(database_url, make_context):
    context = make_context(database_url, trusted_advice_channels="")  # migrated (0002_issue10); no allow-list
    with unit_of_work(context.session_factory) as session:
        for kind, content in (
            ("customers", CUSTOMERS),
            ("products", PRODUCTS),
            ("prices", PRICES),
            ("invoices", INVOICES),
        ):
            import_master_data(session, kind, content)
    yield context
    with unit_of_work(context.session_factory) as session:
        assert [v.to_dict() for v in check_ledger(session)] == []
    context.session_factory.kw["bind"].dispose()


def _open(ctx, number: str) -> Decimal:
    with unit_of_work(ctx.session_factory) as session:
        return session.scalar(select(Invoice.open_amount).where(Invoice.invoice_number == number))


def _count(ctx, model) -> int:
    with unit_of_work(ctx.session_factory) as session:
        return session.scalar(select(func.count()).select_from(model))


def _ingest_one(ctx, content: bytes, name: str, channel: str = "email", sender: str | None = None) -> dict:
    (outcome,) = ingest(ctx, content=content, filename=name, channel=channel, sender=sender)
    return outcome


def test_1_a_forged_remittance_closes_nothing(ctx):
    forged = _mail(
        "Treasury <pay@forger.example>",
        "Remittance advice",
        _advice("99,999.00", "INV-10003", "99,999.00", reference="WIRE-555", payer="Totally Legit Holdings Ltd."),
        "1@forger.example",
    )
    outcome = _ingest_one(ctx, forged, "forged.eml", sender="pay@forger.example")
    assert outcome["status"] == "exception" and "unknown_customer" in outcome["reasons"]
    assert _open(ctx, "INV-10003") == D("5000.00") and _count(ctx, Payment) == 0
    # the right payer, from its own domain, paying far beyond what is open: a person decides, not "on account"
    over = _mail(
        ACME, "Remittance advice", _advice("9,999.00", "INV-10002", "9,999.00", reference="ACH-1"), "2@acme-mfg.example"
    )
    outcome = _ingest_one(ctx, over, "over.eml", sender="ap@acme-mfg.example")
    assert outcome["status"] == "exception" and outcome["reasons"] == ["overpayment"]
    assert _open(ctx, "INV-10002") == D("4225.22") and _count(ctx, Payment) == 0


def test_2_the_same_remittance_by_two_channels_posts_once(ctx):
    advice = _advice("4,000.00", "INV-10001", "4,000.00")
    first = _ingest_one(ctx, _mail(ACME, "Remittance advice", advice, "3@acme-mfg.example"), "ra.eml")
    assert first["status"] == "posted" and _open(ctx, "INV-10001") == D("4120.45")  # short pay: deduction open
    forwarded = _mail(
        "Clerk <clerk@northwind-industrial.example>",
        "Fwd: Remittance advice",
        "---------- Forwarded message ---------\n\n" + advice,
        "4@northwind-industrial.example",
    )
    second = _ingest_one(ctx, forwarded, "fwd.eml", channel="upload")
    assert second["status"] == "duplicate" and second["duplicate_of"] == first["document_id"]
    assert second["payment_id"] == first["payment_id"]
    assert _open(ctx, "INV-10001") == D("4120.45")
    assert (_count(ctx, Payment), _count(ctx, CashApplication), _count(ctx, Deduction)) == (1, 1, 1)


def test_2b_a_bank_credit_then_its_advice_posts_once(ctx):
    statement = camt053(
        [
            Credit(
                D("4225.22"),
                payer="Acme Manufacturing Inc.",
                end_to_end="E2E-77",
                invoices=[("INV-10002", D("4225.22"))],
                value_date=date(2026, 3, 18),
            )
        ]
    )
    (credit,) = import_statement(ctx, statement.replace(b'Ccy="EUR"', b'Ccy="USD"'), "stmt.xml", policy=BankPolicy())
    assert credit["status"] == "applied" and _open(ctx, "INV-10002") == 0
    advice = _mail(
        ACME,
        "Remittance advice",
        _advice("4,225.22", "INV-10002", "4,225.22", reference="ACH-88"),
        "5@acme-mfg.example",
    )
    outcome = _ingest_one(ctx, advice, "ra.eml")
    assert outcome["status"] == "duplicate" and outcome["payment_id"] == credit["payment_id"]
    assert (_count(ctx, Payment), _count(ctx, CashApplication)) == (1, 1)


def test_3_an_erp_reimport_after_cash_application_reconciles(ctx):
    advice = _advice("4,000.00", "INV-10001", "4,000.00")
    assert _ingest_one(ctx, _mail(ACME, "RA", advice, "6@acme-mfg.example"), "ra.eml")["status"] == "posted"
    with unit_of_work(ctx.session_factory) as session:
        applied = session.scalar(select(Invoice.open_amount).where(Invoice.invoice_number == "INV-10001"))
    assert applied == D("4120.45")
    with unit_of_work(ctx.session_factory) as session:  # the ERP has not seen the cash yet: its older view
        report = import_master_data(session, "invoices", INVOICES)
    assert report.conflicts == [] and _open(ctx, "INV-10001") == D("4120.45")
    conflicting = INVOICES.replace("8120.45,8120.45", "8120.45,5000.00").replace("4225.22,4225.22", "4225.22,4000.00")
    with unit_of_work(ctx.session_factory) as session:
        report = import_master_data(session, "invoices", conflicting)
    assert [c["invoice_number"] for c in report.conflicts] == ["INV-10001"]  # named, not overwritten
    assert _open(ctx, "INV-10001") == D("4120.45")
    assert _open(ctx, "INV-10002") == D("4000.00")  # no o2c cash on it: the ERP's book stands (with opening AR)


def test_4_a_reviewer_choice_makes_only_its_own_cell_certain(ctx):
    body = _po("46001", "  10 x BRG-6204 at 4.10\n   4 x NOPE-1 at 9.80\n", "80.20")
    outcome = _ingest_one(ctx, _mail("Dana <dana@acme-mfg.example>", "PO 46001", body, "7@acme-mfg.example"), "po.eml")
    assert outcome["status"] == "exception" and "unknown_product" in outcome["reasons"]
    with unit_of_work(ctx.session_factory) as session:  # OCR was unsure of line 0's quantity
        record = session.get(ExtractionRecord, outcome["extraction_id"])
        record.payload = {
            **record.payload,
            "confidence": {**record.payload["confidence"], "order.lines[0].quantity": 0.41},
        }
    result = resolve_exception(
        ctx, outcome["exception_id"], review.Resolution(action="choose_product", line=1, sku="BLT-B55"), reviewer="ann"
    )
    assert result["status"] == "exception" and result["reasons"] == ["low_confidence"]
    assert _count(ctx, Order) == 0


def test_5_customer_evidence_must_agree(ctx):
    # an unauthenticated From: domain alone never decides the customer
    body = _po("46002", PO_LINES, "105.00").replace("Acme Manufacturing Inc.", "Unknown Buyer Co")
    outcome = _ingest_one(
        ctx, _mail("x <x@acme-mfg.example>", "PO", body, "8@acme-mfg.example"), "po.eml", sender="x@acme-mfg.example"
    )
    assert outcome["status"] == "exception" and "unknown_customer" in outcome["reasons"]
    # a key master data retired as two customers' is never revived by a reviewer's choice
    with unit_of_work(ctx.session_factory) as session:
        import_master_data(session, "customers", CUSTOMERS.replace("Globex,globex", "Globex;Acme Mfg,globex"))
        assert (
            learning.learn_customer_alias(
                session, name="Acme Mfg", customer_id="C-1001", reviewer="ann", exception_id=outcome["exception_id"]
            )
            is None
        )
        row = session.scalar(select(CustomerAlias).where(CustomerAlias.alias == "Acme Mfg"))
        assert not row.active and row.provenance.startswith("ambiguous")
    assert _count(ctx, Order) == 0


def test_6_the_same_po_spelled_another_way_posts_once(ctx):
    first = _ingest_one(
        ctx,
        _mail("Dana <dana@acme-mfg.example>", "PO 45821", _po("45821", PO_LINES, "105.00"), "9@acme-mfg.example"),
        "po.eml",
    )
    assert first["status"] == "posted"
    for n, spelling in enumerate(["PO-45821", "045821", "po 45821"]):
        again = _ingest_one(
            ctx,
            _mail("Dana <dana@acme-mfg.example>", "PO", _po(spelling, PO_LINES, "105.00"), f"1{n}@acme-mfg.example"),
            f"po{n}.eml",
            channel="upload",
        )
        assert again["status"] == "duplicate" and again["order_id"] == first["order_id"], spelling
    changed = _po("PO-045821", "  20 x BRG-6204 at 4.10\n", "82.00")
    other = _ingest_one(ctx, _mail("Dana <dana@acme-mfg.example>", "PO", changed, "19@acme-mfg.example"), "x.eml")
    assert other["status"] == "exception" and "duplicate_order" in other["reasons"]
    assert _count(ctx, Order) == 1


def test_7_a_ledger_refusal_never_leaves_a_document_stuck(ctx, monkeypatch):
    from o2c.ledger.errors import ConcurrentUpdate
    from o2c.pipeline import decide
    from o2c.pipeline import documents as pipeline

    calls = {"n": 0}
    real = decide.post_order

    def lose_the_first_race(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 1:
            raise ConcurrentUpdate("an invoice changed meanwhile; retry")
        return real(*args, **kwargs)

    monkeypatch.setattr(decide, "post_order", lose_the_first_race)
    monkeypatch.setattr(pipeline, "RETRY_DELAYS", (0.0, 0.0, 0.0))
    posted = _ingest_one(
        ctx,
        _mail("Dana <dana@acme-mfg.example>", "PO", _po("47001", PO_LINES, "105.00"), "20@acme-mfg.example"),
        "po.eml",
    )
    assert posted["status"] == "posted" and calls["n"] == 2  # retried, then posted once
    # a refusal that is no race (the next invoice number is taken by an ERP invoice) names its rule
    with unit_of_work(ctx.session_factory) as session:
        import_master_data(session, "invoices", INVOICES + "INV-000002,C-1001,2026-03-01,,10.00,10.00,USD,\n")
    refused = _ingest_one(
        ctx,
        _mail("Dana <dana@acme-mfg.example>", "PO", _po("47002", PO_LINES, "105.00"), "21@acme-mfg.example"),
        "po2.eml",
    )
    assert refused["status"] == "exception" and refused["reasons"] == ["invoice_number_taken"]
    assert refused["exception_id"] and _count(ctx, Order) == 1


def test_8_the_credit_check_reads_under_the_customers_lock(ctx):
    """(The two-process race is tests/ledger/test_ledger_concurrency.py; here: the limit holds on the road.)"""
    body = _po("48001", "  1000 x WID-100 at 3.60\n", "3600.00")
    body = body.replace("Acme Manufacturing Inc.", "Globex Corporation")
    mail = _mail("Buyer <buyer@globex.example>", "PO", body.replace("Dana Whitfield", "Buyer"), "22@globex.example")
    outcome = _ingest_one(ctx, mail, "po.eml")
    assert outcome["status"] == "exception" and "credit_hold" in outcome["reasons"]  # 5,000 open + 3,600 > 5,000


def test_9_an_xml_page_disagreement_on_money_is_an_exception(ctx):
    xml = ExtractedOrder(
        po_number="49001",
        buyer_name="Acme Manufacturing Inc.",
        currency="USD",
        total=D("41.00"),
        lines=[OrderLine(sku="BRG-6204", quantity=D("10"), unit_price=D("4.10"), amount=D("41.00"))],
    )
    page = ExtractedOrder(
        po_number="49001",
        buyer_name="Acme Manufacturing Inc.",
        currency="USD",
        total=D("82.00"),
        lines=[OrderLine(sku="BRG-6204", quantity=D("20"), unit_price=D("4.10"), amount=D("82.00"))],
    )
    extraction = Extraction(
        source="orderx.pdf",
        document_type=PURCHASE_ORDER,
        order=xml,
        confidence={"document_type": 1.0},
        warnings=order_disagreements(xml, page),
    )
    with unit_of_work(ctx.session_factory) as session:
        decision = decide_order(session, extraction, matching=ctx.matching, ledger=ctx.ledger, today=date(2026, 3, 20))
    assert not decision.postable and decision.reasons == ["xml_page_mismatch"]
    assert {e["field"] for e in decision.evidence} == {"order.lines", "order.total"}


def test_10_reversing_an_application_reverses_its_deduction(ctx):
    outcome = _ingest_one(
        ctx, _mail(ACME, "RA", _advice("4,000.00", "INV-10001", "4,000.00"), "23@acme-mfg.example"), "ra.eml"
    )
    with unit_of_work(ctx.session_factory) as session:
        application = session.scalar(select(CashApplication).where(CashApplication.payment_id == outcome["payment_id"]))
        reverse_application(session, application.id, today=date(2026, 3, 20))
    with unit_of_work(ctx.session_factory) as session:
        (deduction,) = session.scalars(select(Deduction))
        assert deduction.status == "reversed"
    assert _open(ctx, "INV-10001") == D("8120.45")


def test_11_the_price_tolerance_has_a_per_line_cap(ctx):
    line = DraftLine("WID-100", None, D("20000"), "EA", D("3.59"), D("71800.00"))
    draft = OrderDraft("C-1001", "50001", date(2026, 3, 20), "USD", None, None, [line], D("71800.00"))
    with unit_of_work(ctx.session_factory) as session:
        wide = LedgerPolicy(price_tolerance_abs=D("0.01"), price_tolerance_line_cap=D("5.00"))
        (issue,) = validate_order(session, draft, wide, on_date=date(2026, 3, 20))
        assert issue.reason == "price_mismatch" and issue.evidence["line_difference"] == "-200.00"
        small = OrderDraft(
            "C-1001",
            "50002",
            date(2026, 3, 20),
            "USD",
            None,
            None,
            [DraftLine("WID-100", None, D("100"), "EA", D("3.59"), D("359.00"))],
            D("359.00"),
        )
        assert validate_order(session, small, wide, on_date=date(2026, 3, 20)) == []  # 1.00 off: within the cap


GLOBEX = "Treasury <ap@globex.example>"


def _globex_statement(amount: str, reference: str = "E2E-GX") -> bytes:
    statement = camt053(
        [
            Credit(
                D(amount),
                payer="Globex Corporation",
                end_to_end=reference,
                reference=reference,
                value_date=date(2026, 3, 18),
            )
        ]
    )
    return statement.replace(b'Ccy="EUR"', b'Ccy="USD"')


def test_an_advice_is_a_claim_until_the_bank_credit_confirms_it(ctx):
    advice = _advice("5,000.00", "INV-10003", "5,000.00", reference="ACH-GX-1", payer="Globex Corporation")
    claim = _ingest_one(ctx, _mail(GLOBEX, "Remittance advice", advice, "30@globex.example"), "ra.eml")
    assert claim["status"] == "expected" and claim["customer_id"] == "C-1003"
    assert _open(ctx, "INV-10003") == D("5000.00") and _count(ctx, Payment) == 0  # an advice is not money
    again = _ingest_one(ctx, _mail(GLOBEX, "Fwd: Remittance advice", advice, "31@globex.example"), "fwd.eml")
    assert again["status"] == "duplicate" and again["duplicate_of"] == claim["document_id"]
    (credit,) = import_statement(ctx, _globex_statement("5000.00"), "stmt.xml", policy=BankPolicy())
    assert (credit["status"], credit["rule"]) == ("linked", "advice.claim")
    assert _open(ctx, "INV-10003") == 0 and _count(ctx, Payment) == 1
    with unit_of_work(ctx.session_factory) as session:
        record = session.get(ExtractionRecord, claim["extraction_id"])
        assert record.outcome["status"] == "posted" and record.outcome["payment_id"] == credit["payment_id"]
        assert record.outcome["bank_credit_id"] == credit["credit_id"]  # advice <-> bank credit, both ways
        (expected,) = session.scalars(select(ExpectedPayment))  # the claim's own row: kept once, now closed
        assert (expected.source_extraction_id, expected.status) == (claim["extraction_id"], CLAIM_CLOSED)
        assert (expected.amount, expected.currency, expected.customer_id) == (D("5000.00"), "USD", "C-1003")


def test_two_racing_arrivals_of_one_claim_keep_it_once(ctx, monkeypatch):
    """The second arrival looked before the first committed (it saw no open claim): the open claim's unique
    business key refuses its insert, and deciding it again finds the first: a duplicate, not a crash."""
    advice = _advice("5,000.00", "INV-10003", "5,000.00", reference="ACH-GX-2", payer="Globex Corporation")
    first = _ingest_one(ctx, _mail(GLOBEX, "Remittance advice", advice, "34@globex.example"), "ra.eml")
    assert first["status"] == "expected"
    looked = []
    real_lookup = claims.open_claim

    def raced(session, key):
        looked.append(key)
        return None if len(looked) == 1 else real_lookup(session, key)  # first look: before the commit

    monkeypatch.setattr(claims, "open_claim", raced)
    second = _ingest_one(ctx, _mail(GLOBEX, "Fwd: Remittance advice", advice, "35@globex.example"), "fwd.eml")
    assert len(looked) == 2, "the refused insert is decided again"
    assert second["status"] == "duplicate" and second["duplicate_of"] == first["document_id"]
    with unit_of_work(ctx.session_factory) as session:
        assert [(e.source_extraction_id, e.status) for e in session.scalars(select(ExpectedPayment))] == [
            (first["extraction_id"], CLAIM_OPEN)
        ]


def test_a_trusting_customer_still_needs_an_authenticated_sender(ctx):
    advice = _advice("4,225.22", "INV-10002", "4,225.22", reference="ACH-9")
    spoofed = _mail(ACME, "Remittance advice", advice, "32@acme-mfg.example").split(b"\n", 1)[1]  # no auth
    outcome = _ingest_one(ctx, spoofed, "ra.eml")
    assert outcome["status"] == "expected" and _open(ctx, "INV-10002") == D("4225.22")
    signed = _ingest_one(
        ctx,
        _mail(
            ACME,
            "Remittance advice",
            _advice("8,120.45", "INV-10001", "8,120.45", reference="ACH-10"),
            "33@acme-mfg.example",
        ),
        "ra2.eml",
    )
    assert signed["status"] == "posted" and _open(ctx, "INV-10001") == 0


def test_6b_the_same_po_as_a_pdf_and_by_mail_posts_once(database_url, make_context, samples):
    context = make_context(database_url)
    with unit_of_work(context.session_factory) as session:
        for kind in ("customers", "products", "prices", "invoices"):
            import_master_data(session, kind, (samples / f"{kind}.csv").read_bytes())
    pdf = _ingest_one(context, (samples / "po_acme_45810.pdf").read_bytes(), "po_acme_45810.pdf", channel="cli")
    assert pdf["status"] == "posted"
    lines = "  200 x BRG-6204 at 3.85\n    2 x MTR-1HP at 275.00\n   50 x SEL-3020 at 1.95\n"
    mail = _mail(
        "Dana <dana@acme-mfg.example>", "PO-045810", _po("PO-045810", lines, "1,417.50"), "40@acme-mfg.example"
    )
    again = _ingest_one(context, mail, "po.eml", channel="email")
    assert again["status"] == "duplicate" and again["duplicate_of"] == pdf["document_id"], again
    assert _count(context, Order) == 1
    with unit_of_work(context.session_factory) as session:
        assert [v.to_dict() for v in check_ledger(session)] == []
    context.session_factory.kw["bind"].dispose()


# 12. An amount the ledger cannot keep exactly (issue 10's adversary, found again): the embedded SQLite keeps
# NUMERIC as a binary double, so 9999999999999999.99 came back as 10000000000000000 and an AR total was off by
# more than the invoice; PostgreSQL refuses more than 15 integer digits. Such amounts are refused at every door.
HUGE = "12345678901234567.89"  # 19 significant digits


def test_12_an_amount_the_ledger_cannot_keep_is_refused_at_every_door(ctx):
    # master data: the whole file is refused, naming the row and column
    rows = INVOICES.splitlines()[0] + "\nINV-99999,C-1001,2026-03-01,2026-03-31,9999999999999999.99,1.00,USD,\n"
    with unit_of_work(ctx.session_factory) as session, pytest.raises(MasterDataError) as refused:
        import_master_data(session, "invoices", rows)
    assert refused.value.detail["errors"][0]["row"] == 2 and refused.value.detail["errors"][0]["column"] == "amount"
    # the largest amount every backend keeps exactly round-trips to the cent
    big = "9999999999999.99"
    kept = INVOICES.splitlines()[0] + f"\nINV-99998,C-1003,2026-03-01,2026-03-31,{big},{big},USD,\n"
    with unit_of_work(ctx.session_factory) as session:
        import_master_data(session, "invoices", kept)
    assert _open(ctx, "INV-99998") == D("9999999999999.99")
    # the column itself refuses what it would round, and floats, whoever writes it
    for bad in (D(HUGE), 0.1):
        with pytest.raises(StatementError) as caught, unit_of_work(ctx.session_factory) as session:
            invoice = session.scalar(select(Invoice).where(Invoice.invoice_number == "INV-99998"))
            invoice.open_amount = bad
            session.flush()
        assert isinstance(caught.value.orig, AmountNotStorable)
    assert _open(ctx, "INV-99998") == D("9999999999999.99")

    # a remittance advice paying a 19-digit amount: an exception that says so, nothing posted
    advice = _mail(ACME, "Remittance advice", _advice(HUGE, "INV-10001", HUGE, reference="ACH-H"), "h@acme-mfg.example")
    outcome = _ingest_one(ctx, advice, "huge.eml")
    assert outcome["status"] == "exception" and "amount_out_of_range" in outcome["reasons"]
    assert _open(ctx, "INV-10001") == D("8120.45") and _count(ctx, Payment) == 0
    # a purchase order with a 19-digit quantity
    po = _mail(ACME, "PO PO-77001", _po("PO-77001", f"  {HUGE} x BRG-6204 at 4.10\n", "41.00"), "p@acme-mfg.example")
    outcome = _ingest_one(ctx, po, "huge-po.eml")
    assert outcome["status"] == "exception" and "amount_out_of_range" in outcome["reasons"]
    assert _count(ctx, Order) == 0

    # a bank statement with such a credit is malformed, kept with its error
    statement = camt053([Credit(D(HUGE), payer="Acme Manufacturing Inc.", end_to_end="E2E-HUGE")])
    (rejected,) = import_statement(ctx, statement.replace(b'Ccy="EUR"', b'Ccy="USD"'), "huge.xml", policy=BankPolicy())
    assert rejected["status"] == "rejected" and "out of range" in rejected["message"]
    assert _count(ctx, Payment) == 0


# 13. Precision a document cannot have: a payment of 4,000.005 USD posted a half cent (open 4120.4450), and
# 2.5 EA of a bearing posted as an order. Both are misreads or typos: a person looks.
def test_13_a_sub_cent_payment_and_half_a_piece_go_to_review(ctx):
    advice = _mail(ACME, "Remittance advice", _advice("4,000.005", "INV-10001", "4,000.005"), "sub@acme-mfg.example")
    outcome = _ingest_one(ctx, advice, "sub-cent.eml")
    assert outcome["status"] == "exception" and outcome["reasons"] == ["amount_out_of_range"]
    assert _open(ctx, "INV-10001") == D("8120.45") and _count(ctx, Payment) == 0
    # a currency without cents: 12,000 JPY is whole, and whole numbers of cents are fine however printed
    assert in_minor_units(D("12000"), "JPY") and not in_minor_units(D("12000.50"), "JPY")
    assert in_minor_units(D("18.150"), "EUR") and in_minor_units(D("1.234"), "KWD")
    po = _mail(ACME, "PO PO-77002", _po("PO-77002", "  2.5 x BRG-6204 at 4.10\n", "10.25"), "half@acme-mfg.example")
    outcome = _ingest_one(ctx, po, "half.eml")
    assert outcome["status"] == "exception" and outcome["reasons"] == ["fractional_quantity"]
    assert _count(ctx, Order) == 0
    whole = _mail(ACME, "PO PO-77003", _po("PO-77003", "  2.00 x BRG-6204 at 4.10\n", "8.20"), "whole@acme-mfg.example")
    assert _ingest_one(ctx, whole, "whole.eml")["status"] == "posted"


# 14. A payment dated before the invoice it pays was issued posted (and judged a discount on that date): a misread
# date or reference. INV-10002 was issued 2026-02-25.
def test_14_a_payment_dated_before_its_invoice_goes_to_review(ctx):
    early = _advice("4,225.22", "INV-10002", "4,225.22").replace("03/17/2026", "01/05/2020")
    outcome = _ingest_one(ctx, _mail(ACME, "Remittance advice", early, "early@acme-mfg.example"), "early.eml")
    assert outcome["status"] == "exception" and outcome["reasons"] == ["payment_before_invoice"]
    assert _open(ctx, "INV-10002") == D("4225.22") and _count(ctx, Payment) == 0
    on_time = _advice("4,225.22", "INV-10002", "4,225.22", reference="ACH-2").replace("03/17/2026", "02/25/2026")
    outcome = _ingest_one(ctx, _mail(ACME, "Remittance advice", on_time, "ontime@acme-mfg.example"), "ontime.eml")
    assert outcome["status"] == "posted" and _open(ctx, "INV-10002") == 0


# 15. An advice dated after the business date announces a payment that has not happened (or its year was misread,
# 2062 for 2026): a trusted sender's advice posted it as cash received. It now waits for its bank credit like any
# claim; one day of lead (time zones) still posts. The business date here is 2026-03-20.
def test_15_an_advice_dated_after_the_business_date_waits_for_its_cash(ctx):
    for n, when in enumerate(("03/17/2062", "03/22/2026")):
        later = _advice("4,225.22", "INV-10002", "4,225.22", reference=f"ACH-F{n}").replace("03/17/2026", when)
        outcome = _ingest_one(ctx, _mail(ACME, "Remittance advice", later, f"later{n}@acme-mfg.example"), "f.eml")
        assert outcome["status"] == "expected", outcome
        assert _open(ctx, "INV-10002") == D("4225.22") and _count(ctx, Payment) == 0
    with unit_of_work(ctx.session_factory) as session:
        expected = session.scalars(select(Event).where(Event.kind == "remittance.expected").order_by(Event.id))
        announced = [e.payload.get("announced_for") for e in expected]
        assert announced == ["2062-03-17", "2026-03-22"]
    tomorrow = _advice("4,225.22", "INV-10002", "4,225.22", reference="ACH-F9").replace("03/17/2026", "03/21/2026")
    outcome = _ingest_one(ctx, _mail(ACME, "Remittance advice", tomorrow, "tomorrow@acme-mfg.example"), "t.eml")
    assert outcome["status"] == "posted" and _open(ctx, "INV-10002") == 0


def _advice_rows(rows: str, amount: str, reference: str, when: str = "03/17/2026") -> str:
    return (
        f"Hello,\n\nThis is to advise that we sent an ACH payment of ${amount} on {when}.\n"
        f"Payment reference: {reference}\n\nInvoice      Paid\n{rows}\n"
        "Regards,\nAccounts Payable\nAcme Manufacturing Inc.\n"
    )


# 16. One check number, one payment: an advice re-sent after the duplicate window, or corrected to another amount
# ("4,000.10" for "4,000.00"), posted the same cash twice against the same invoice. A reference already posted for
# an invoice the arrival names is payment_reference_reused; the same reference for another invoice, or another
# reference for the same invoice (a second instalment), still posts.
def test_16_a_payment_reference_used_again_for_the_same_invoice_posts_once(ctx):
    def advice(n, rows, amount, reference, when="03/10/2026"):
        body = _advice_rows(rows, amount, reference, when)
        return _ingest_one(ctx, _mail(ACME, "Remittance advice", body, f"reuse{n}@acme-mfg.example"), f"{n}.eml")

    assert advice(1, "INV-10001   $4,000.00\n", "4,000.00", "CHK-555")["status"] == "posted"
    for n, (amount, when) in enumerate((("4,000.00", "03/19/2026"), ("4,000.10", "03/10/2026")), start=2):
        again = advice(n, f"INV-10001   ${amount}\n", amount, "CHK-555", when)
        assert again["status"] == "exception" and again["reasons"] == ["payment_reference_reused"], again
    assert _open(ctx, "INV-10001") == D("4120.45") and _count(ctx, Payment) == 1
    with unit_of_work(ctx.session_factory) as session:
        shown = [e for item in session.scalars(select(ExceptionItem)) for e in item.evidence]
        assert [(e["reason"], e["original_payment_id"]) for e in shown] == [("payment_reference_reused", 1)] * 2
    instalment = advice(4, "INV-10001   $4,000.00\n", "4,000.00", "CHK-556", "03/19/2026")
    assert instalment["status"] == "posted" and _open(ctx, "INV-10001") == D("120.45")
    other = advice(5, "INV-10002   $4,225.22\n", "4,225.22", "CHK-555", "03/19/2026")
    assert other["status"] == "posted" and _count(ctx, Payment) == 3
