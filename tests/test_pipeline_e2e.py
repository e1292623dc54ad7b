"""The whole road on the sample set, on SQLite and on PostgreSQL: every business document ends as the golden
outcomes say, nothing posts twice, and a crash between steps loses nothing."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import event as sql_event
from sqlalchemy import func, select

from o2c.cli.demo import sample_documents
from o2c.core.db import unit_of_work
from o2c.intake.models import Document, DocumentStatus
from o2c.ledger import invoicing as ledger_invoicing
from o2c.ledger import orders as ledger_orders
from o2c.ledger.check import check_ledger
from o2c.ledger.masterdata import import_master_data
from o2c.ledger.models import CashApplication, Invoice, JournalLine, Order
from o2c.pipeline import documents as pipeline_documents
from o2c.pipeline.documents import decide_step, document_outcomes, extract_step, process_document, receive
from o2c.pipeline.door import ingest


def _load(ctx, samples):
    with unit_of_work(ctx.session_factory) as session:
        for kind in ("customers", "products", "prices", "invoices"):
            import_master_data(session, kind, (samples / f"{kind}.csv").read_bytes())


def _counts(ctx):
    with unit_of_work(ctx.session_factory) as session:
        return {
            model.__name__: session.scalar(select(func.count()).select_from(model))
            for model in (Order, Invoice, CashApplication, JournalLine)
        }


def test_sample_set_reaches_the_golden_outcomes(database_url, make_context, samples):
    ctx = make_context(database_url)
    _load(ctx, samples)
    expected = json.loads((samples / "outcomes.json").read_text())
    seen: dict[str, dict] = {}
    for path in sample_documents(samples):
        for outcome in ingest(ctx, content=path.read_bytes(), filename=path.name, channel="cli"):
            seen[outcome["source"]] = outcome
    mismatches = []
    for source, want in expected.items():
        got = seen.get(source)
        if got is None:
            mismatches.append(f"{source}: no outcome (have {sorted(seen)})")
            continue
        if got["status"] != want["status"] or not set(want["reasons"]) <= set(got["reasons"]):
            mismatches.append(
                f"{source}: want {want['status']} {want['reasons']}, got {got['status']} {got['reasons']}"
            )
        if want["status"] == "posted" and got["reasons"]:
            mismatches.append(f"{source}: posted with reasons {got['reasons']}")
    assert not mismatches, "\n".join(mismatches)
    assert ctx.grounding.reads == 1  # master data did not change: read in full for the first document only

    posted_orders = [o for o in seen.values() if o["status"] == "posted" and o["document_type"] == "purchase_order"]
    assert all(o["invoice_number"] and o["order_id"] for o in posted_orders)
    numbers = sorted(int(o["invoice_number"].rsplit("-", 1)[-1]) for o in posted_orders)
    assert numbers == list(range(numbers[0], numbers[0] + len(numbers))), "invoice numbers must be gap-free"
    remittances = [o for o in seen.values() if o["status"] == "posted" and o["document_type"] == "remittance_advice"]
    assert remittances and all(o["applications"] for o in remittances)
    for exception in (o for o in seen.values() if o["status"] == "exception"):
        assert exception["reasons"] and exception["exception_id"]

    # everything again: identical bytes are duplicates and nothing is posted twice
    before = _counts(ctx)
    for path in sample_documents(samples):
        for outcome in ingest(ctx, content=path.read_bytes(), filename=path.name, channel="upload"):
            assert outcome["status"] == "duplicate", outcome
    assert _counts(ctx) == before
    _assert_ledger_reconciles(ctx)


def _assert_ledger_reconciles(ctx):
    with unit_of_work(ctx.session_factory) as session:
        assert [v.to_dict() for v in check_ledger(session)] == []


def test_a_crash_between_steps_is_resumed_without_double_posting(database_url, make_context, samples):
    ctx = make_context(database_url)
    _load(ctx, samples)
    content = (samples / "po_acme_45810.pdf").read_bytes()
    # crash right after the bytes were stored: the document waits in 'received'
    arrival = receive(ctx, content=content, filename="po.pdf", channel="upload")
    with unit_of_work(ctx.session_factory) as session:
        assert session.get(Document, arrival.document_id).status == DocumentStatus.RECEIVED
    # crash after extraction was stored but before the decision
    extract_step(ctx, arrival.document_id)
    extract_step(ctx, arrival.document_id)  # a retried step is a no-op
    # recovery: the same file arrives again (or the sweep re-queues it) and the road is finished once
    (outcome,) = ingest(ctx, content=content, filename="po-again.pdf", channel="email")
    assert outcome["status"] == "duplicate"
    process_document(ctx, arrival.document_id)
    (final,) = document_outcomes(ctx, arrival.document_id)
    assert final["status"] == "posted"
    assert _counts(ctx)["Order"] == 1
    _assert_ledger_reconciles(ctx)


@pytest.mark.parametrize(
    "name,content",
    [
        ("corrupt.pdf", b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer garbage"),
        ("truncated.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"),
        (
            "broken.eml",
            b'From: \xff\xfe\nSubject: =?utf-8?b?####?=\nContent-Type: multipart/mixed; boundary="x"\n\n--x\n',
        ),
    ],
)
def test_bad_files_are_kept_and_rejected_never_crash(make_context, tmp_path, name, content):
    ctx = make_context(f"sqlite:///{tmp_path / 'bad.sqlite3'}")
    outcomes = ingest(ctx, content=content, filename=name, channel="upload")
    assert outcomes, "a bad file must never be dropped silently"
    for outcome in outcomes:
        assert outcome["status"] in ("rejected", "exception") or outcome["document_type"] == "other", outcome
    with unit_of_work(ctx.session_factory) as session:
        document = session.get(Document, outcomes[0]["document_id"])
        assert ctx.store.exists(document.sha256)
        if document.status == DocumentStatus.REJECTED:
            assert document.error


def test_a_purchase_order_takes_four_transactions_and_its_outcome_comes_with_the_last(
    database_url, make_context, samples
):
    # receive (reading ahead what extraction needs), store the extraction, decide, close: the stored file's facts,
    # the extraction ids and the outcomes are handed on, not looked up again in transactions of their own
    ctx = make_context(database_url)
    _load(ctx, samples)
    engine = ctx.session_factory.kw["bind"]
    commits = []
    sql_event.listen(engine, "commit", lambda conn: commits.append(1))
    content = (samples / "po_acme_45810.pdf").read_bytes()
    arrival = receive(ctx, content=content, filename="po.pdf", channel="upload")
    ids = extract_step(ctx, arrival.document_id)
    assert ids is not None and len(ids) == 1
    assert extract_step(ctx, arrival.document_id) is None  # done before: nothing stored again
    (outcome,) = decide_step(ctx, arrival.document_id, ids)
    assert outcome["status"] == "posted" and outcome["extraction_id"] == ids[0]
    assert [outcome] == document_outcomes(ctx, arrival.document_id)
    commits.clear()
    other = (samples / "po_harbor_unknown_sku.pdf").read_bytes()
    (again,) = ingest(ctx, content=other, filename="h.pdf", channel="cli")
    assert again["status"] == "exception" and len(commits) == 4
    # the worker's road (the document received earlier, by another process) reads the file's facts itself
    commits.clear()
    later = receive(ctx, content=content + b"\n%later", filename="po2.pdf", channel="upload")
    assert later.stored is None and len(commits) == 1
    (outcome,) = process_document(ctx, later.document_id)
    assert outcome["status"] in ("posted", "duplicate") and len(commits) == 5


def test_the_statements_every_document_runs_are_built_once(make_context, tmp_path, samples):
    # building a statement and its cache key cost the ORM more than SQLite takes to run it: the ones every
    # document runs (the status moves, the outcomes, the arrival's look-up) are the same objects each time
    ctx = make_context(f"sqlite:///{tmp_path / 'built-once.sqlite3'}")
    _load(ctx, samples)
    engine = ctx.session_factory.kw["bind"]
    runs: list[list[object]] = []
    for name in ("po_acme_45810.pdf", "po_greatlakes_glf7731.pdf"):
        run: list[object] = []
        runs.append(run)

        def listener(_conn, clause, *_args, run=run):
            run.append(clause)

        sql_event.listen(engine, "before_execute", listener)
        (outcome,) = ingest(ctx, content=(samples / name).read_bytes(), filename=name, channel="cli")
        sql_event.remove(engine, "before_execute", listener)
        assert outcome["status"] == "posted", outcome
    shared = {id(c) for c in runs[0]} & {id(c) for c in runs[1]}
    for statement in (
        pipeline_documents._MOVE,
        pipeline_documents._DOCUMENT_FACTS,
        pipeline_documents._PART_OUTCOMES,
        ledger_orders._CUSTOMER,  # the posting's customer row (SQLite: no row lock)
        ledger_orders._OPEN_AR,
        ledger_orders._ORDER_OF_SOURCE,
        ledger_invoicing._SEQUENCE,
        ledger_invoicing._NUMBER_TAKEN,
    ):
        assert id(statement) in shared
