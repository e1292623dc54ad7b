"""Two worker processes apply cash to the same invoice at the same moment on PostgreSQL: never over-applied.

Each process posts its own payment for the invoice's full open amount; a barrier releases them together. The
row lock (SELECT ... FOR UPDATE, taken in id order) serializes them: one posts, the other is refused with
OverApplication, and the invoice ends at zero — never below, never applied twice."""

from __future__ import annotations

import multiprocessing as mp
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from o2c.core.db import Base, make_engine
from o2c.core.errors import O2CError
from o2c.ledger import models as lm
from o2c.ledger.cash import PaymentDraft, PlannedApplication, post_payment
from o2c.ledger.check import check_ledger
from o2c.ledger.orders import DraftLine, OrderDraft, post_order
from o2c.ledger.policy import LedgerPolicy
from tests.ledger.conftest import TABLES, TODAY, seed_master_data

ROUNDS = 3


def _worker(url: str, invoice_id: int, source: int, barrier, results) -> None:
    engine = make_engine(url)
    draft = PaymentDraft(
        "C-1001",
        "Acme",
        TODAY,
        f"race-{source}",
        "ACH",
        "USD",
        Decimal("250.00"),
        applications=[PlannedApplication(invoice_id, Decimal("250.00"), rule="race")],
    )
    with Session(engine) as session:
        session.connection()  # connect before the barrier so both start their transaction together
        barrier.wait(timeout=30)
        try:
            post_payment(session, draft, source_extraction_id=source, today=date(2024, 3, 22))
            session.commit()
            results.put(("posted", source))
        except O2CError as exc:
            session.rollback()
            results.put((exc.code, source))
    engine.dispose()


def test_two_processes_never_over_apply_one_invoice(fresh_postgres_url):
    engine = make_engine(fresh_postgres_url)
    Base.metadata.create_all(engine, tables=TABLES)
    with Session(engine) as session:
        seed_master_data(session)
        session.commit()
    ctx = mp.get_context("spawn")
    for round_no in range(ROUNDS):
        with Session(engine) as session:
            invoice = session.scalar(select(lm.Invoice).where(lm.Invoice.invoice_number == "INV-090002"))
            invoice.open_amount = Decimal("250.00")  # reopen for the next round (test setup, not a posting)
            session.commit()
            invoice_id = invoice.id
        barrier, results = ctx.Barrier(2), ctx.Queue()
        workers = [
            ctx.Process(target=_worker, args=(fresh_postgres_url, invoice_id, 100 * round_no + k, barrier, results))
            for k in (1, 2)
        ]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(60)
            assert worker.exitcode == 0
        outcomes = sorted(results.get(timeout=5)[0] for _ in workers)
        assert outcomes == ["over_application", "posted"], outcomes
        with Session(engine) as session:
            assert session.get(lm.Invoice, invoice_id).open_amount == Decimal("0")
            applied = session.scalar(
                select(func.sum(lm.CashApplication.amount)).where(
                    lm.CashApplication.invoice_id == invoice_id, lm.CashApplication.rule == "race"
                )
            )
            assert applied == Decimal("250.00") * (round_no + 1)  # exactly one application per round
    engine.dispose()


def _order_worker(url: str, po_number: str, source: int, barrier, results) -> None:
    engine = make_engine(url)
    draft = OrderDraft(
        "C-1003",
        po_number,
        date(2024, 3, 20),
        "USD",
        None,
        None,
        [DraftLine("BRG-6204", None, Decimal("200"), "EA", Decimal("5.00"), Decimal("1000.00"))],
        Decimal("1000.00"),
    )
    with Session(engine) as session:
        session.connection()
        barrier.wait(timeout=30)
        try:
            post_order(session, draft, source_extraction_id=source, policy=LedgerPolicy(), today=TODAY)
            session.commit()
            results.put(("posted", po_number))
        except O2CError as exc:
            session.rollback()
            results.put((exc.detail.get("reasons", [exc.code])[0] if exc.detail else exc.code, po_number))
    engine.dispose()


def test_two_processes_never_both_pass_one_credit_limit(fresh_postgres_url):
    """Globex has a 1,500 limit and nothing open; two orders of 1,000 arrive at once. The customer's row lock
    serializes the credit check: one posts, the other is held (credit_hold) — never 2,000 against 1,500."""
    engine = make_engine(fresh_postgres_url)
    Base.metadata.create_all(engine, tables=TABLES)
    with Session(engine) as session:
        seed_master_data(session)
        session.commit()
    ctx = mp.get_context("spawn")
    barrier, results = ctx.Barrier(2), ctx.Queue()
    workers = [
        ctx.Process(target=_order_worker, args=(fresh_postgres_url, f"GX-{k}", k, barrier, results)) for k in (1, 2)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
        assert worker.exitcode == 0
    outcomes = sorted(results.get(timeout=5)[0] for _ in workers)
    assert outcomes == ["credit_hold", "posted"], outcomes
    with Session(engine) as session:
        open_ar = session.scalar(select(func.sum(lm.Invoice.open_amount)).where(lm.Invoice.customer_id == "C-1003"))
        assert open_ar == Decimal("1000.00")
        assert check_ledger(session) == []
    engine.dispose()
