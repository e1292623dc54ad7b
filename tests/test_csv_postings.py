"""Remittance advices that arrive as CSV or XLSX, adversarially: a wrong posting is the worst outcome. Each file
goes through the pipeline door on SQLite; the test says what was posted (nothing wrong) or why it waits for a
person, and the ledger check passes after every one."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from o2c.core.db import unit_of_work
from o2c.extraction.models import ExtractionRecord
from o2c.intake.models import Document, DocumentStatus
from o2c.ledger.check import check_ledger
from o2c.ledger.masterdata import import_master_data
from o2c.ledger.models import CashApplication, Deduction, Invoice, Payment
from o2c.pipeline.door import ingest
from tests.extraction.structured.generators import remittance_xlsx

D = Decimal
CUSTOMERS = """customer_id,name,aliases,email_domains,address,credit_limit,currency,payment_terms,trust_advices
C-1001,Acme Manufacturing Inc.,Acme Mfg,acme-mfg.example,"1200 Industrial Pkwy, Dayton, OH 45402",100000,USD,Net 30,yes
C-2001,Müller Maschinenbau GmbH,Müller,mueller.example,"Hauptstr. 1, Stuttgart",100000,EUR,"2% 10, Net 30",yes
"""
INVOICES = """invoice_number,customer_id,invoice_date,due_date,amount,open_amount,currency,po_number
INV-10001,C-1001,2026-02-20,2026-03-22,8120.45,8120.45,USD,PO-44001
INV-10002,C-1001,2026-02-25,2026-03-27,4225.22,4225.22,USD,PO-44002
RE-5001,C-2001,2026-03-10,2026-04-09,1234.56,1234.56,EUR,
RE-5002,C-2001,2026-03-10,2026-04-09,1000.00,1000.00,EUR,
"""
PAYER = "Acme Manufacturing Inc."


@pytest.fixture
def ctx(tmp_path, make_context):
    context = make_context(f"sqlite:///{tmp_path / 'csv.sqlite3'}")  # the upload connector is allow-listed
    with unit_of_work(context.session_factory) as session:
        import_master_data(session, "customers", CUSTOMERS)
        import_master_data(session, "products", "sku,description,uom,unit_price,currency\n")
        import_master_data(session, "invoices", INVOICES)
    yield context
    with unit_of_work(context.session_factory) as session:
        assert [v.to_dict() for v in check_ledger(session)] == []
    context.session_factory.kw["bind"].dispose()


def _csv(*rows: str, header: str = "Payer,Check No,Payment Date,Invoice,Amount Paid") -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode()


def _ingest(ctx, content: bytes, name: str = "remit.csv") -> list[dict]:
    return ingest(ctx, content=content, filename=name, channel="upload")


def _one(ctx, content: bytes, name: str = "remit.csv") -> dict:
    (outcome,) = _ingest(ctx, content, name)
    return outcome


def _open(ctx, number: str) -> Decimal:
    with unit_of_work(ctx.session_factory) as session:
        return session.scalar(select(Invoice.open_amount).where(Invoice.invoice_number == number))


def _posted(ctx) -> tuple[int, int, int]:
    """(payments, cash applications, deductions) in the ledger."""
    with unit_of_work(ctx.session_factory) as session:
        return tuple(
            session.scalar(select(func.count()).select_from(model)) for model in (Payment, CashApplication, Deduction)
        )


def _nothing_posted(ctx) -> None:
    assert _posted(ctx) == (0, 0, 0)
    assert (_open(ctx, "INV-10001"), _open(ctx, "INV-10002")) == (D("8120.45"), D("4225.22"))


ROW = f"{PAYER},CHK-1,2026-03-17"


def test_a_clean_csv_posts_exactly(ctx):
    outcome = _one(ctx, _csv(f"{ROW},INV-10001,8120.45", f"{ROW},INV-10002,4225.22"))
    assert outcome["status"] == "posted" and outcome["reasons"] == []
    assert _posted(ctx) == (1, 2, 0) and _open(ctx, "INV-10001") == _open(ctx, "INV-10002") == 0


@pytest.mark.parametrize(
    "header,row",
    [
        # the discount sits under a word the reader does not know: 20.00 would become a short-pay deduction
        ("Payer,Check No,Payment Date,Invoice,Invoice Amount,Cash Disc.,Amount Paid", "8120.45,20.00,8100.45"),
        # tax withheld, in a column of its own
        ("Payer,Check No,Payment Date,Invoice,Gross,Withholding,Net Paid", "8120.45,812.05,7308.40"),
        # an adjustment column named in the payer's own words
        ("Payer,Check No,Payment Date,Invoice,Amount Paid,Adj", "8100.45,20.00"),
    ],
)
def test_an_unread_money_column_never_becomes_a_deduction(ctx, header, row):
    outcome = _one(ctx, _csv(f"{ROW},INV-10001,{row}", header=header))
    assert outcome["status"] == "exception" and "unread_column" in outcome["reasons"], outcome
    _nothing_posted(ctx)
    with unit_of_work(ctx.session_factory) as session:
        record = session.get(ExtractionRecord, outcome["extraction_id"])
        unread = [w for w in record.payload["warnings"] if w.startswith("unread money column")]
        assert len(unread) == 1, record.payload["warnings"]
        (where,) = [v for k, v in record.payload["provenance"].items() if k.startswith("remittance.unread_columns")]
        assert where["text"] == header.split(",")[5] and where["element"] == "column 6"


def test_an_unread_money_column_does_not_stop_an_exact_settlement(ctx):
    header = "Payer,Check No,Payment Date,Invoice,Open Balance,Amount Paid"
    outcome = _one(ctx, _csv(f"{ROW},INV-10001,8120.45,8120.45", header=header))
    assert outcome["status"] == "posted" and _posted(ctx) == (1, 1, 0) and _open(ctx, "INV-10001") == 0


def test_a_short_pay_read_from_known_columns_still_opens_its_deduction(ctx):
    outcome = _one(ctx, _csv(f"{ROW},INV-10001,8000.00"))
    assert outcome["status"] == "posted" and _posted(ctx) == (1, 1, 1) and _open(ctx, "INV-10001") == D("120.45")


def test_duplicate_rows_for_one_invoice_post_nothing(ctx):
    outcome = _one(ctx, _csv(f"{ROW},INV-10001,4000.00", f"{ROW},INV-10001,4000.00"))
    assert outcome["status"] == "exception" and outcome["reasons"] == ["ambiguous_match"]
    _nothing_posted(ctx)


def test_the_same_invoice_twice_with_different_amounts_posts_nothing(ctx):
    outcome = _one(ctx, _csv(f"{ROW},INV-10001,8000.00", f"{ROW},INV-10002,4225.22", f"{ROW},INV-10001,120.45"))
    assert outcome["status"] == "exception" and "ambiguous_match" in outcome["reasons"]
    _nothing_posted(ctx)


@pytest.mark.parametrize("paid", ["-8120.45", "(8120.45)", "8120.45-"])
def test_a_negative_paid_amount_posts_nothing(ctx, paid):
    outcome = _one(ctx, _csv(f'{ROW},INV-10001,"{paid}"'))
    assert outcome["status"] == "exception" and "missing_field" in outcome["reasons"]
    _nothing_posted(ctx)


def test_a_negative_line_in_a_positive_payment_posts_nothing(ctx):
    outcome = _one(ctx, _csv(f"{ROW},INV-10001,8120.45", f"{ROW},INV-10002,-100.00"))
    assert outcome["status"] == "exception" and "amount_mismatch" in outcome["reasons"]
    _nothing_posted(ctx)


def test_paid_beyond_the_open_amount_is_a_persons_call(ctx):
    outcome = _one(ctx, _csv(f"{ROW},INV-10002,5225.22"))
    assert outcome["status"] == "exception" and outcome["reasons"] == ["overpayment"]
    _nothing_posted(ctx)


def test_paid_within_the_tolerance_settles_and_leaves_the_cent_on_account(ctx):
    outcome = _one(ctx, _csv(f"{ROW},INV-10002,4225.72"))
    assert outcome["status"] == "posted" and _open(ctx, "INV-10002") == 0
    with unit_of_work(ctx.session_factory) as session:
        (payment,) = session.scalars(select(Payment))
        assert (payment.amount, payment.unapplied_amount) == (D("4225.72"), D("0.50"))


@pytest.mark.parametrize("label", ["Total", "TOTAL:", "Grand total", "Totals", "Sum", "Subtotal"])
def test_a_total_row_is_not_an_item(ctx, label):
    total = f",,,{label},12345.67"
    outcome = _one(ctx, _csv(f"{ROW},INV-10001,8120.45", f"{ROW},INV-10002,4225.22", total))
    assert outcome["status"] == "posted", outcome
    assert _posted(ctx) == (1, 2, 0) and _open(ctx, "INV-10001") == _open(ctx, "INV-10002") == 0


def test_a_total_row_that_disagrees_with_the_items_posts_nothing(ctx):
    outcome = _one(ctx, _csv(f"{ROW},INV-10001,8120.45", f"{ROW},INV-10002,4225.22", ",,,Total,12000.00"))
    assert outcome["status"] == "exception" and outcome["reasons"] == ["amount_mismatch"]
    _nothing_posted(ctx)


MUELLER = "Müller Maschinenbau GmbH;ZR-77;18.03.2026"
GERMAN = "Zahler;Zahlungsreferenz;Zahlungsdatum;Rechnungsnummer;Zahlbetrag"


def _german(*rows: str, bom: bool = True) -> bytes:
    text = "\n".join([GERMAN, *rows]) + "\n"
    return ("\ufeff" if bom else "").encode() + text.encode("utf-8")


def test_bom_semicolons_and_european_thousands_post_exactly(ctx):
    outcome = _one(ctx, _german(f"{MUELLER};RE-5001;1.234,56", f"{MUELLER};RE-5002;1.000,00"))
    assert outcome["status"] == "posted", outcome
    assert _posted(ctx) == (1, 2, 0) and _open(ctx, "RE-5001") == _open(ctx, "RE-5002") == 0


def test_a_european_thousands_separator_without_decimals_is_read_by_the_tables_locale(ctx):
    """'1.000' beside '1.234,56' is one thousand, not one: the table's other cells say ',' is the decimal mark."""
    outcome = _one(ctx, _german(f"{MUELLER};RE-5001;1.234,56", f"{MUELLER};RE-5002;1.000"))
    assert outcome["status"] == "posted", outcome
    assert _posted(ctx) == (1, 2, 0) and _open(ctx, "RE-5002") == 0


def test_a_lone_ambiguous_thousands_amount_is_not_trusted(ctx):
    """'1.000' alone: one thousand (German) or one (English)? No other cell says; a person reads it."""
    outcome = _one(ctx, _german(f"{MUELLER};RE-5002;1.000"))
    assert outcome["status"] == "exception" and "low_confidence" in outcome["reasons"], outcome
    assert _posted(ctx) == (0, 0, 0) and _open(ctx, "RE-5002") == D("1000.00")


def test_an_unquoted_thousands_comma_is_refused_not_read_as_a_smaller_amount(ctx):
    """INV-10001,8,120.45 splits into '8' and '120.45': reading 8 paid would open an 8112.45 deduction."""
    outcome = _one(ctx, _csv(f"{ROW},INV-10001,8,120.45"))
    assert outcome["status"] == "rejected", outcome
    _nothing_posted(ctx)
    with unit_of_work(ctx.session_factory) as session:
        document = session.get(Document, outcome["document_id"])
        assert document.status == DocumentStatus.REJECTED and "row 2" in document.error


def test_an_invoice_number_in_the_amount_column_is_not_an_amount(ctx):
    """Swapped columns: 'INV10001' under Amount Paid was once read as 10001 (its letters dropped)."""
    outcome = _one(ctx, _csv(f"{ROW},8120.45,INV10001"))
    assert outcome["status"] == "rejected", outcome
    _nothing_posted(ctx)
    with unit_of_work(ctx.session_factory) as session:
        assert "is not an amount" in session.get(Document, outcome["document_id"]).error


def test_one_payment_in_two_currencies_is_refused(ctx):
    """Rows in USD and EUR under one check: the payer's currency (USD) was taken for both, and 4000.00 EUR was
    applied to a USD invoice as 4000.00 USD with a 225.22 short-pay deduction."""
    header = "Payer,Check No,Invoice,Currency,Amount Paid"
    outcome = _one(
        ctx, _csv(f"{PAYER},CHK-1,INV-10001,USD,8120.45", f"{PAYER},CHK-1,INV-10002,EUR,4000.00", header=header)
    )
    assert outcome["status"] == "rejected", outcome
    _nothing_posted(ctx)
    with unit_of_work(ctx.session_factory) as session:
        assert "one payment in EUR, USD" in session.get(Document, outcome["document_id"]).error


@pytest.mark.parametrize("paid", ["8120.449", "8120.455"])
def test_an_amount_finer_than_a_cent_posts_nothing(ctx, paid):
    """8120.449 posted 8120.449 and opened a 0.001 short-pay deduction; 8120.455 left 0.005 on account."""
    outcome = _one(ctx, _csv(f"{ROW},INV-10001,{paid}"))
    assert outcome["status"] == "exception" and outcome["reasons"] == ["amount_out_of_range"], outcome
    _nothing_posted(ctx)


def test_an_empty_amount_cell_posts_nothing(ctx):
    outcome = _one(ctx, _csv(f"{ROW},INV-10001,", f"{ROW},INV-10002,4225.22"))
    assert outcome["status"] == "exception" and "missing_field" in outcome["reasons"]
    _nothing_posted(ctx)


@pytest.mark.parametrize(
    "content,note",
    [
        (
            b"Payer,Check No,Invoice,Date\nAcme Manufacturing Inc.,CHK-1,INV-10001,2026-03-17\n",
            "row 1 names invoice_number, payment_reference, payer_name but no amount_paid",
        ),
        (b"Remittance advice\nFoo,Bar\nINV-10001,8120.45\n", "no row names a column o2c reads"),
    ],
)
def test_a_csv_without_the_columns_we_need_is_kept_with_a_clear_error(ctx, content, note):
    outcomes = _ingest(ctx, content)
    assert outcomes and all(o["status"] in ("rejected", "exception") for o in outcomes), outcomes
    _nothing_posted(ctx)
    with unit_of_work(ctx.session_factory) as session:
        document = session.get(Document, outcomes[0]["document_id"])
        assert ctx.store.exists(document.sha256)
        record = session.get(ExtractionRecord, outcomes[0]["extraction_id"])
        assert any(
            w.startswith("CSV has no remittance header") and w.endswith(note) for w in record.payload["warnings"]
        )


def test_a_bad_amount_cell_is_kept_with_its_error(ctx):
    outcome = _one(ctx, _csv(f"{ROW},INV-10001,eight thousand"))
    assert outcome["status"] == "rejected" and _posted(ctx) == (0, 0, 0)
    with unit_of_work(ctx.session_factory) as session:
        document = session.get(Document, outcome["document_id"])
        assert document.status == DocumentStatus.REJECTED and "row 2" in document.error


def test_the_same_csv_twice_posts_once(ctx):
    content = _csv(f"{ROW},INV-10001,8000.00")
    first = _one(ctx, content)
    assert first["status"] == "posted" and _posted(ctx) == (1, 1, 1)
    again = _one(ctx, content, "remit-copy.csv")
    assert again["status"] == "duplicate" and again["duplicate_of"] == first["document_id"]
    re_exported = content.replace(b"\n", b"\r\n")  # other bytes, the same payment
    third = _one(ctx, re_exported, "remit-export.csv")
    assert third["status"] == "duplicate" and third["payment_id"] == first["payment_id"], third
    assert _posted(ctx) == (1, 1, 1) and _open(ctx, "INV-10001") == D("120.45")


def test_the_same_xlsx_twice_posts_once(ctx):
    rows = [[PAYER, "CHK-9", "2026-03-17", "INV-10002", "4225.22"]]
    content = remittance_xlsx(rows, header=["Payer", "Check No", "Payment Date", "Invoice", "Amount Paid"])
    first = _one(ctx, content, "remit.xlsx")
    assert first["status"] == "posted" and _open(ctx, "INV-10002") == 0
    assert _one(ctx, content, "again.xlsx")["status"] == "duplicate"
    assert _posted(ctx) == (1, 1, 0)


def test_a_discount_without_a_payment_date_is_neither_earned_nor_unearned(ctx):
    """Müller's terms allow 2% within 10 days: without a payment date nobody can say whether 24.69 was earned."""
    header = "Zahler;Zahlungsreferenz;Rechnungsnummer;Skonto;Zahlbetrag"
    content = f"{header}\nMüller Maschinenbau GmbH;ZR-78;RE-5001;24,69;1.209,87\n".encode()
    outcome = _one(ctx, content)
    assert outcome["status"] == "exception" and "missing_field" in outcome["reasons"], outcome
    assert _posted(ctx) == (0, 0, 0) and _open(ctx, "RE-5001") == D("1234.56")
    with unit_of_work(ctx.session_factory) as session:
        record = session.get(ExtractionRecord, outcome["extraction_id"])
        evidence = record.outcome
    assert evidence["status"] == "exception"
    # with the date, inside the window: the discount is earned and the invoice settles
    dated = content.replace(b"Zahlungsreferenz;", b"Zahlungsreferenz;Zahlungsdatum;").replace(
        b"ZR-78;", b"ZR-79;18.03.2026;"
    )
    outcome = _one(ctx, dated)
    assert outcome["status"] == "posted", outcome
    assert _posted(ctx) == (1, 1, 0) and _open(ctx, "RE-5001") == 0
