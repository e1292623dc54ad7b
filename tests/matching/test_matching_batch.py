"""The batch path (decide_remittances: set-based reads) decides exactly as decide_remittance one by one, on a
seeded mixed corpus (exact, normalized, OCR, PO, discount, short and amount-only payments, unknown payers), and
posting its drafts leaves the ledger check clean; on SQLite and on PostgreSQL (whose look-ups bind whole key sets
as arrays)."""

from __future__ import annotations

import random

from sqlalchemy.orm import Session

from bench import matching as bench
from o2c.core.db import make_engine
from o2c.ledger.cash import post_payments
from o2c.ledger.check import check_ledger
from o2c.matching.remittances import decide_remittance, decide_remittances


def _summary(decision) -> tuple:
    draft = decision.draft
    return (
        decision.customer_id,
        decision.reasons,
        decision.evidence,
        decision.duplicate_of_payment_id,
        None if draft is None else (draft.applications, draft.deductions, draft.remittance_lines, draft.amount),
    )


def test_batch_decisions_equal_one_by_one(database_url):
    engine = make_engine(database_url)
    bench.Base.metadata.create_all(engine, tables=bench.TABLES)
    rng = random.Random(5)
    with Session(engine, expire_on_commit=False) as session:
        bench.seed_customers(session, 60)
        invoices = bench.seed_invoices(session, rng, 60, 1200)
        session.commit()
        payments = [p.extraction for p in bench.generate_payments(rng, invoices, 400)]
        first, second = payments[:120], payments[120:]
        one = [decide_remittance(session, e, matching=bench.MATCHING, ledger=bench.LEDGER) for e in first]
        batch = decide_remittances(session, first, matching=bench.MATCHING, ledger=bench.LEDGER)
        assert [_summary(d) for d in batch] == [_summary(d) for d in one]
        kinds = {a.rule.split("+")[0] for d in batch if d.draft for a in d.draft.applications}
        assert {"reference.exact", "amount_only"} <= kinds
        assert any("unknown_customer" in d.reasons for d in batch)
        post_payments(session, [(d.draft, n) for n, d in enumerate(batch) if d.postable], today=bench.TODAY)
        session.commit()
        # after posting: repeats of posted payments are duplicates, paid invoices are no longer open
        again = first[:40] + second
        one = [decide_remittance(session, e, matching=bench.MATCHING, ledger=bench.LEDGER) for e in again]
        batch = decide_remittances(session, again, matching=bench.MATCHING, ledger=bench.LEDGER)
        assert [_summary(d) for d in batch] == [_summary(d) for d in one]
        assert any("duplicate_payment" in d.reasons for d in batch)
        post_payments(session, [(d.draft, 1000 + n) for n, d in enumerate(batch) if d.postable], today=bench.TODAY)
        session.commit()
        assert check_ledger(session) == []  # the bench seeds the imported AR with its opening entry
    engine.dispose()
