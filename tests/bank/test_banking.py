"""Bank statements end to end on SQLite and PostgreSQL: the raw file kept, each credit recorded once, linked to
its remittance advice, applied from structured remittance, held for the advice then matched by amount, or sent
to review; never applied twice, never a wrong application."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from o2c.core.db import Base, unit_of_work
from o2c.core.settings import Settings
from o2c.intake.models import Document, DocumentStatus
from o2c.ledger.cash import PaymentDraft, PlannedApplication, RemittanceLineDraft, post_payment
from o2c.ledger.masterdata import import_master_data
from o2c.ledger.models import BankCredit, CashApplication, Invoice, Payment
from o2c.matching.bank import BankPolicy
from o2c.pipeline.documents import build_context, receive
from o2c.pipeline.statements import import_statement, match_pending, unapplied
from o2c.review import service as review
from o2c.review.models import ExceptionItem
from tests.bank.generators import Credit, bai2, camt053, camt054, mt940

D = Decimal
NOW = datetime(2026, 3, 19, 8, 0, tzinfo=UTC)
CUSTOMERS = (
    b"customer_id,name,aliases,email_domains,address,credit_limit,currency,payment_terms\n"
    b"C-ACME,Acme GmbH,,acme.example,,,EUR,Net 30\n"
    b"C-BETA,Beta Industries Inc,,beta.example,,,USD,Net 30\n"
)
POLICY = BankPolicy(advice_wait_hours=48, date_window_days=7)


@pytest.fixture
def ctx(database_url, tmp_path):
    """A context on a fresh database whose schema comes from the models (the lead owns the migrations)."""
    settings = Settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        storage_dir=tmp_path / "blobs",
        business_date=date(2026, 3, 20),
    )
    context = build_context(settings, migrate=False)
    Base.metadata.create_all(context.session_factory.kw["bind"])
    with unit_of_work(context.session_factory) as session:
        import_master_data(session, "customers", CUSTOMERS)
        for number, customer, amount, currency in [
            ("INV-1001", "C-ACME", "100.00", "EUR"),
            ("INV-1002", "C-ACME", "50.00", "EUR"),
            ("INV-1003", "C-ACME", "75.00", "EUR"),
            ("INV-1004", "C-ACME", "310.00", "EUR"),
            ("INV-2001", "C-BETA", "400.00", "USD"),
            ("INV-2002", "C-BETA", "250.00", "USD"),
        ]:
            session.add(
                Invoice(
                    invoice_number=number,
                    customer_id=customer,
                    invoice_date=date(2026, 3, 1),
                    due_date=date(2026, 3, 31),
                    amount=D(amount),
                    open_amount=D(amount),
                    currency=currency,
                    payment_terms="Net 30",
                    origin="imported",
                )
            )
    yield context
    context.session_factory.kw["bind"].dispose()


def _open(ctx, number: str) -> Decimal:
    with unit_of_work(ctx.session_factory) as session:
        return session.scalar(select(Invoice.open_amount).where(Invoice.invoice_number == number))


def _count(ctx, model) -> int:
    with unit_of_work(ctx.session_factory) as session:
        return session.scalar(select(func.count()).select_from(model))


def test_structured_camt053_applies_directly_and_a_second_import_applies_nothing(ctx):
    content = camt053(
        [
            Credit(D("150.00"), invoices=[("INV-1001", D("100.00")), ("INV-1002", D("50.00"))]),
            Credit(D("20.00"), debit=True, reference="FEE-1", end_to_end="E2E-FEE"),
        ]
    )
    (outcome,) = import_statement(ctx, content, "stmt.xml", policy=POLICY, now=NOW)
    assert (outcome["status"], outcome["rule"], outcome["customer_id"], outcome["new"]) == (
        "applied",
        "bank.structured",
        "C-ACME",
        True,
    )
    assert [(a["invoice_number"], a["amount"]) for a in outcome["applications"]] == [
        ("INV-1001", "100.00"),
        ("INV-1002", "50.00"),
    ]
    assert _open(ctx, "INV-1001") == 0 and _open(ctx, "INV-1002") == 0

    again = import_statement(ctx, content, "stmt.xml", policy=POLICY, now=NOW)
    reformatted = import_statement(
        ctx, content.replace(b"<Stmt>", b"<Stmt>\n  "), "stmt-copy.xml", policy=POLICY, now=NOW
    )
    assert [(o["credit_id"], o["new"], o["status"]) for o in again + reformatted] == [
        (outcome["credit_id"], False, "applied")
    ] * 2
    assert again[0]["duplicate"] is True and reformatted[0]["duplicate"] is False
    assert (_count(ctx, BankCredit), _count(ctx, Payment), _count(ctx, CashApplication)) == (1, 1, 2)


def test_unbalanced_statement_is_refused_with_the_file_kept(ctx):
    content = camt053([Credit(D("150.00"), invoices=[("INV-1001", D("100.00"))])], closing=D("999.99"))
    (outcome,) = import_statement(ctx, content, "bad.xml", policy=POLICY, now=NOW)
    assert (outcome["status"], outcome["error"]) == ("rejected", "unbalanced_statement")
    assert "off by" in outcome["message"]
    with unit_of_work(ctx.session_factory) as session:
        document = session.get(Document, outcome["document_id"])
        assert document.status == DocumentStatus.REJECTED and "off by" in document.error
        assert ctx.store.get(document.sha256) == content  # the raw file is kept
        items = list(session.scalars(select(ExceptionItem).where(ExceptionItem.document_id == document.id)))
        assert [i.reasons for i in items] == [["unbalanced_statement"]]
    again = import_statement(ctx, content, "bad.xml", policy=POLICY, now=NOW)
    assert again[0]["status"] == "rejected"
    assert (_count(ctx, BankCredit), _count(ctx, Payment), _count(ctx, ExceptionItem)) == (0, 0, 1)


def test_unknown_camt_version_is_refused(ctx):
    content = camt053([Credit(D("10.00"))], version="001.99")
    (outcome,) = import_statement(ctx, content, "future.xml", policy=POLICY, now=NOW)
    assert (outcome["status"], outcome["error"]) == ("rejected", "unknown_camt_version")
    assert "camt.053.001.99" in outcome["message"]
    assert _count(ctx, BankCredit) == 0


def _post_advice(ctx, *, amount: str, reference: str, payment_date=date(2026, 3, 17)) -> int:
    with unit_of_work(ctx.session_factory) as session:
        invoice = session.scalar(select(Invoice).where(Invoice.invoice_number == "INV-1004"))
        draft = PaymentDraft(
            customer_id="C-ACME",
            payer_name="ACME GMBH",
            payment_date=payment_date,
            payment_reference=reference,
            payment_method="wire",
            currency="EUR",
            amount=D(amount),
            applications=[PlannedApplication(invoice.id, D(amount), rule="reference.exact")],
            remittance_lines=[RemittanceLineDraft("INV-1004", D(amount))],
        )
        return post_payment(session, draft, source_extraction_id=None, today=date(2026, 3, 20)).payment_id


def test_credit_links_to_the_posted_remittance_advice_and_posts_nothing_again(ctx):
    payment_id = _post_advice(ctx, amount="310.00", reference="RA-77")
    content = mt940([Credit(D("310.00"), payer="ACME GMBH", text="RA-77 INV-1004", end_to_end="E2E-77")])
    (outcome,) = import_statement(ctx, content, "stmt.sta", policy=POLICY, now=NOW)
    assert (outcome["status"], outcome["rule"], outcome["payment_id"]) == ("linked", "advice.link", payment_id)
    assert [a["invoice_number"] for a in outcome["applications"]] == ["INV-1004"]
    assert _count(ctx, Payment) == 1 and _open(ctx, "INV-1004") == 0
    assert unapplied(ctx) == []


def test_credit_without_advice_waits_then_matches_by_amount(ctx):
    content = mt940([Credit(D("75.00"), payer="Acme GmbH", text="thank you", end_to_end="E2E-W")])
    (outcome,) = import_statement(ctx, content, "stmt.sta", policy=POLICY, now=NOW)
    assert outcome["status"] == "unmatched" and outcome["payment_id"] is None
    assert [row["unapplied_amount"] for row in unapplied(ctx)] == ["75.00"]
    assert match_pending(ctx, policy=POLICY, now=NOW + timedelta(hours=1))[0]["status"] == "unmatched"
    (later,) = match_pending(ctx, policy=POLICY, now=datetime.now(UTC) + timedelta(hours=49))
    assert (later["status"], later["rule"], later["reasons"]) == ("applied", "bank.amount_only", [])
    assert [a["invoice_number"] for a in later["applications"]] == ["INV-1003"]
    assert unapplied(ctx) == []


def test_advice_arriving_during_the_wait_is_linked(ctx):
    content = mt940([Credit(D("310.00"), payer="Acme GmbH", text="payment", end_to_end="E2E-L")])
    assert import_statement(ctx, content, "stmt.sta", policy=POLICY, now=NOW)[0]["status"] == "unmatched"
    payment_id = _post_advice(ctx, amount="310.00", reference="RA-90")
    (outcome,) = match_pending(ctx, policy=POLICY, now=NOW)
    assert (outcome["status"], outcome["payment_id"]) == ("linked", payment_id)


def test_ambiguous_amount_goes_to_review_and_stays_visible(ctx):
    content = mt940([Credit(D("650.00"), payer="Unknown Trading Ltd", text="misc", end_to_end="E2E-A")])
    import_statement(ctx, content, "stmt.sta", policy=POLICY, now=NOW)
    (outcome,) = match_pending(ctx, policy=POLICY, now=datetime.now(UTC) + timedelta(hours=49))
    assert outcome["status"] == "review" and "unknown_customer" in outcome["reasons"]
    assert outcome["exception_id"] is not None and _count(ctx, Payment) == 0
    (row,) = unapplied(ctx)
    assert (row["status"], row["unapplied_amount"]) == ("review", "650.00")


def test_structured_reference_to_no_open_invoice_goes_to_review_not_posted(ctx):
    content = camt054([Credit(D("90.00"), invoices=[("INV-9999", D("90.00"))])])
    (outcome,) = import_statement(ctx, content, "ntf.xml", policy=POLICY, now=NOW)
    assert outcome["status"] == "review" and outcome["payment_id"] is None
    assert set(outcome["reasons"]) & {"unknown_customer", "unmatched_invoice"}
    assert _count(ctx, Payment) == 0 and _count(ctx, CashApplication) == 0


def test_camt054_creditor_reference_applies_the_whole_credit(ctx):
    content = camt054([Credit(D("75.00"), creditor_reference="INV-1003", payer="Someone Else")])
    (outcome,) = import_statement(ctx, content, "ntf.xml", policy=POLICY, now=NOW)
    assert (outcome["status"], outcome["customer_id"]) == ("applied", "C-ACME")
    assert _open(ctx, "INV-1003") == 0


def test_bai2_88_rmr_records_apply_directly(ctx):
    content = bai2(
        [
            Credit(
                D("650.00"),
                payer="Beta Industries Inc",
                end_to_end="E2E-B",
                invoices=[("INV-2001", D("400.00")), ("INV-2002", D("250.00"))],
            )
        ]
    )
    (outcome,) = import_statement(ctx, content, "stmt.bai2", policy=POLICY, now=NOW)
    assert (outcome["status"], outcome["rule"], outcome["currency"]) == ("applied", "bank.structured", "USD")
    assert _open(ctx, "INV-2001") == 0 and _open(ctx, "INV-2002") == 0


def test_invoice_numbers_in_free_text_that_settle_exactly_apply(ctx):
    content = mt940([Credit(D("175.00"), payer="ACME", text="INV-1001 INV-1003", end_to_end="E2E-T")])
    (outcome,) = import_statement(ctx, content, "stmt.sta", policy=POLICY, now=NOW)
    assert (outcome["status"], outcome["rule"]) == ("applied", "bank.text_reference")
    assert _open(ctx, "INV-1001") == 0 and _open(ctx, "INV-1003") == 0


def test_identical_credits_in_one_file_are_both_kept(ctx):
    same = Credit(D("5.00"), payer="Nobody", text="x", reference="NONREF", end_to_end="NOTPROVIDED")
    outcomes = import_statement(ctx, mt940([same, same]), "stmt.sta", policy=POLICY, now=NOW)
    assert len({o["credit_id"] for o in outcomes}) == 2
    import_statement(ctx, mt940([same, same]), "again.sta", policy=POLICY, now=NOW)
    assert _count(ctx, BankCredit) == 2


def test_credit_whose_advice_is_in_review_is_not_posted_twice(ctx):
    arrival = receive(ctx, content=b"remittance advice text", filename="advice.txt", channel="cli")
    with unit_of_work(ctx.session_factory) as session:
        review.open_exception(
            session,
            document_id=arrival.document_id,
            extraction_id=None,
            document_type="remittance_advice",
            reasons=["low_confidence"],
            evidence=[],
            customer_id="C-ACME",
            amount_at_risk=D("75.00"),
            currency="EUR",
        )
    content = camt054([Credit(D("75.00"), creditor_reference="INV-1003")])
    (outcome,) = import_statement(ctx, content, "ntf.xml", policy=POLICY, now=NOW)
    assert (outcome["status"], outcome["reasons"]) == ("review", ["advice_in_review"])
    assert _count(ctx, Payment) == 0 and _open(ctx, "INV-1003") == D("75.00")
