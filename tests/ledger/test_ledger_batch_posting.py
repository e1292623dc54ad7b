"""post_payments (the batch path: ids allocated up front, set-based inserts and one invoice update) writes exactly
the ledger that post_payment one draft at a time writes, row for row, on SQLite and on PostgreSQL; a rerun of the
batch posts nothing twice."""

from __future__ import annotations

import random
from dataclasses import replace
from decimal import Decimal

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from bench import matching as bench
from o2c.core.db import is_postgres, make_engine
from o2c.core.events import Event
from o2c.ledger import models as lm
from o2c.ledger.cash import post_payment, post_payments
from o2c.ledger.check import check_ledger
from o2c.matching.remittances import decide_remittances

WRITTEN = [lm.Payment, lm.RemittanceLine, lm.CashApplication, lm.Deduction, lm.JournalEntry, lm.JournalLine, Event]
CLOCK = {"created_at", "at"}  # when a row was written is no part of what was posted


def _ledger(session: Session) -> dict[str, list[tuple]]:
    """Every row the cash path writes (ids included), and every invoice's open amount and version."""
    out = {}
    for model in WRITTEN:
        table = model.__table__
        columns = [c for c in table.columns if c.name not in CLOCK]
        out[table.name] = [tuple(row) for row in session.execute(select(*columns).order_by(table.c.id))]
    invoices = select(lm.Invoice.id, lm.Invoice.open_amount, lm.Invoice.version).order_by(lm.Invoice.id)
    out["invoices"] = [tuple(row) for row in session.execute(invoices)]
    return out


def _same_ids_next(session: Session) -> None:
    """After a rollback: PostgreSQL sequences do not roll back, so restart them where the other path started."""
    if not is_postgres(session):
        return  # SQLite assigns the next rowid after the largest: a rolled-back insert leaves no trace
    for model in WRITTEN:
        name = model.__table__.name
        session.execute(
            text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), COALESCE(MAX(id), 0) + 1, false) FROM {name}")
        )
    session.commit()


def test_batch_posting_writes_the_ledger_one_by_one_posting_writes(database_url):
    engine = make_engine(database_url)
    bench.Base.metadata.create_all(engine, tables=bench.TABLES)
    rng = random.Random(11)
    with Session(engine, expire_on_commit=False) as session:
        bench.seed_customers(session, 40)
        invoices = bench.seed_invoices(session, rng, 40, 800)
        session.commit()
        extractions = [p.extraction for p in bench.generate_payments(rng, invoices, 240)]
        decisions = decide_remittances(session, extractions, matching=bench.MATCHING, ledger=bench.LEDGER)
        drafts = [(d.draft, 500 + n) for n, d in enumerate(decisions) if d.postable]
        assert len(drafts) > 60
        assert any(d.deductions for d, _ in drafts) and any(a.discount for d, _ in drafts for a in d.applications)
        on_account = replace(drafts[0][0], payment_reference="ON-ACCOUNT-1", amount=Decimal("123.45"))
        drafts.append((replace(on_account, applications=[], deductions=[], remittance_lines=[]), 9999))
        session.commit()
        before = _ledger(session)

        batch = post_payments(session, drafts, today=bench.TODAY)
        batch_ledger = _ledger(session)
        again = post_payments(session, drafts, today=bench.TODAY)  # a retried lockbox file posts nothing twice
        assert again == batch and _ledger(session) == batch_ledger
        session.rollback()
        _same_ids_next(session)
        assert _ledger(session) == before

        one = [post_payment(session, draft, source_extraction_id=source, today=bench.TODAY) for draft, source in drafts]
        one_ledger = _ledger(session)
        assert one == batch
        assert one_ledger == batch_ledger
        assert len(batch_ledger["journal_entries"]) > len(drafts) and batch_ledger["deductions"]
        session.commit()
        assert check_ledger(session) == []  # the bench seeds the imported AR with its opening entry
    engine.dispose()


def test_cash_application_updates_invoices_in_place_on_postgresql(fresh_postgres_url):
    """open_amount is in no invoice index and the table leaves free space on its pages (fillfactor 85): every
    invoice UPDATE of a posted batch is a heap-only (HOT) update, which writes none of the invoice indexes."""
    engine = make_engine(fresh_postgres_url)
    bench.Base.metadata.create_all(engine, tables=bench.TABLES)
    rng = random.Random(5)
    with Session(engine, expire_on_commit=False) as session:
        bench.seed_customers(session, 20)
        invoices = bench.seed_invoices(session, rng, 20, 1_000)  # 1 in 10 paid, as in bench.matching
        session.commit()
        options = session.execute(text("SELECT reloptions FROM pg_class WHERE relname = 'invoices'")).scalar()
        assert options == ["fillfactor=85"]
        extractions = [p.extraction for p in bench.generate_payments(rng, invoices, 100)]
        decisions = decide_remittances(session, extractions, matching=bench.MATCHING, ledger=bench.LEDGER)
        drafts = [(d.draft, 100 + n) for n, d in enumerate(decisions) if d.postable]
        post_payments(session, drafts, today=bench.TODAY)
        updated, hot = session.execute(
            text("SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_xact_user_tables WHERE relname = 'invoices'")
        ).one()  # this transaction's counts
        session.commit()
    engine.dispose()
    assert updated > 50 and hot == updated
