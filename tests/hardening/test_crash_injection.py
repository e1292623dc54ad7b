"""Crash injection on PostgreSQL + RQ: a worker killed with SIGKILL inside each pipeline step, then restarted
(the sweep re-queues what was cut short): 0 documents lost, 0 double postings."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from datetime import date

import pytest
from redis import Redis
from rq import Queue
from rq.job import Job
from sqlalchemy import func, select

from o2c.core.db import unit_of_work
from o2c.core.faults import CRASH_POINTS
from o2c.core.settings import Settings
from o2c.extraction.models import ExtractionRecord
from o2c.intake.models import Document, DocumentStatus
from o2c.ledger.check import check_ledger
from o2c.ledger.masterdata import import_master_data
from o2c.ledger.models import CashApplication, JournalEntry, JournalLine, Order, Payment
from o2c.pipeline.documents import build_context, pending_documents
from o2c.pipeline.door import ingest
from o2c.review.models import ExceptionItem
from tests.conftest import ROOT

pytestmark = [pytest.mark.postgres, pytest.mark.redis]
DOCUMENTS = ("po_acme_45810.pdf", "remit_greatlakes_ach.pdf", "po_harbor_unknown_sku.pdf")


def _env(settings: Settings, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "O2C_DATABASE_URL": settings.database_url,
        "O2C_REDIS_URL": settings.redis_url,
        "O2C_STORAGE_DIR": str(settings.storage_dir),
        "O2C_QUEUE_NAME": settings.queue_name,
        "O2C_BUSINESS_DATE": settings.business_date.isoformat(),
        "OMP_THREAD_LIMIT": "1",
        **extra,
    }


def _worker(settings: Settings, **extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "o2c.cli.main", "worker", "--burst"],
        env=_env(settings, **extra),
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )


def _restart(ctx, settings: Settings) -> list[int]:
    """What an operator's restart does: forget the dead runs, let the sweep re-queue what was cut short."""
    connection = Redis.from_url(settings.redis_url)
    for document_id in pending_documents(ctx):
        job_id = f"{settings.queue_name}-o2c-process-{document_id}"
        if Job.exists(job_id, connection=connection):
            Job.fetch(job_id, connection=connection).delete()  # its retry is scheduled; don't wait for it
    swept = subprocess.run(
        [sys.executable, "-c", "import worker; print(worker.sweep_job())"],
        env=_env(settings, O2C_STUCK_AFTER_MINUTES="0"),  # the crash was a moment ago
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert swept.returncode == 0, swept.stderr[-2000:]
    return pending_documents(ctx)


def _ledger_facts(ctx) -> dict:
    with unit_of_work(ctx.session_factory) as session:
        unbalanced = session.execute(
            select(JournalLine.entry_id)
            .group_by(JournalLine.entry_id, JournalLine.currency)
            .having(func.sum(JournalLine.debit) != func.sum(JournalLine.credit))
        ).all()
        return {
            "documents": session.scalar(select(func.count()).select_from(Document)),
            "processed": session.scalar(
                select(func.count()).select_from(Document).where(Document.status == DocumentStatus.PROCESSED)
            ),
            "orders": session.scalar(select(func.count()).select_from(Order)),
            "order_sources": session.scalar(select(func.count(func.distinct(Order.source_extraction_id)))),
            "payments": session.scalar(select(func.count()).select_from(Payment)),
            "payment_sources": session.scalar(select(func.count(func.distinct(Payment.source_extraction_id)))),
            "applications": session.scalar(select(func.count()).select_from(CashApplication)),
            "entries": session.scalar(select(func.count()).select_from(JournalEntry)),
            "exceptions": session.scalar(select(func.count()).select_from(ExceptionItem)),
            "extractions": session.scalar(select(func.count()).select_from(ExtractionRecord)),
            "unbalanced": len(unbalanced),
        }


@pytest.mark.parametrize("point", CRASH_POINTS)
def test_a_worker_killed_inside_a_step_loses_nothing_and_posts_nothing_twice(
    point, fresh_postgres_url, redis_url, tmp_path, samples
):
    settings = Settings(
        data_dir=tmp_path / "data",
        database_url=fresh_postgres_url,
        redis_url=redis_url,
        storage_dir=tmp_path / "blobs",
        business_date=date(2026, 3, 20),
        queue_name=f"o2c-crash-{uuid.uuid4().hex[:8]}",
    )
    ctx = build_context(settings, migrate=True)
    with unit_of_work(ctx.session_factory) as session:
        for kind in ("customers", "products", "prices", "invoices"):
            import_master_data(session, kind, (samples / f"{kind}.csv").read_bytes())
    for name in DOCUMENTS:
        (outcome,) = ingest(ctx, content=(samples / name).read_bytes(), filename=name, channel="upload")
        assert outcome["status"] == "queued"

    crashed = _worker(settings, O2C_CRASH_AT=point)  # every job's work horse dies at the point
    assert "terminated unexpectedly" in crashed.stderr + crashed.stdout or crashed.returncode != 0, crashed.stderr
    assert _ledger_facts(ctx)["processed"] < len(DOCUMENTS)  # the crash really cut work short
    assert _restart(ctx, settings), "the sweep found nothing to resume"
    run = _worker(settings)
    assert run.returncode == 0, run.stderr[-3000:]
    assert pending_documents(ctx) == []

    facts = _ledger_facts(ctx)
    assert facts["documents"] == facts["processed"] == len(DOCUMENTS), facts  # 0 lost
    assert facts["extractions"] == len(DOCUMENTS)
    assert facts["orders"] == facts["order_sources"] == 1, facts  # 0 doubled
    # the remittance is a claim awaiting its bank credit (issue 10's cash model): at most one payment, never two
    assert facts["payments"] == facts["payment_sources"] <= 1 and facts["exceptions"] == 1, facts
    assert facts["unbalanced"] == 0
    with unit_of_work(ctx.session_factory) as session:
        assert check_ledger(session) == []  # issue 10's invariants: `o2c ledger check` passes
    Queue(settings.queue_name, connection=Redis.from_url(redis_url)).empty()
