"""PostgreSQL + Redis: the API answers 202, a real `o2c worker` process does the work, nothing runs twice."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from o2c.api.app import create_app
from o2c.core.db import unit_of_work
from o2c.core.queue import JobQueue
from o2c.core.settings import Settings
from o2c.ledger.masterdata import import_master_data
from o2c.ledger.models import Order
from o2c.migrations.runner import upgrade_database
from o2c.pipeline.documents import build_context, document_outcomes
from o2c.pipeline.door import ingest
from o2c.worker import free_text_mark, process_document_job

pytestmark = [pytest.mark.postgres, pytest.mark.redis]


@pytest.fixture
def queued_settings(fresh_postgres_url, redis_url, tmp_path):
    return Settings(
        data_dir=tmp_path / "data",
        database_url=fresh_postgres_url,
        redis_url=redis_url,
        storage_dir=tmp_path / "blobs",
        business_date=date(2026, 3, 20),
        queue_name=f"o2c-test-{uuid.uuid4().hex[:8]}",
        api_keys="k-conn:connector",
        trusted_advice_channels="upload,email,cli",
    )


def _worker_env(settings: Settings) -> dict[str, str]:
    return {
        "O2C_DATABASE_URL": settings.database_url,
        "O2C_REDIS_URL": settings.redis_url,
        "O2C_STORAGE_DIR": str(settings.storage_dir),
        "O2C_QUEUE_NAME": settings.queue_name,
        "O2C_BUSINESS_DATE": settings.business_date.isoformat(),
        "OMP_THREAD_LIMIT": "1",
        "O2C_TRUSTED_ADVICE_CHANNELS": settings.trusted_advice_channels,
    }


def _run_worker(settings: Settings) -> subprocess.CompletedProcess:
    env = {**os.environ, **_worker_env(settings)}
    return subprocess.run(
        [sys.executable, "-m", "o2c.cli.main", "worker", "--burst"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def _load_master_data(ctx, samples):
    with unit_of_work(ctx.session_factory) as session:
        for kind in ("customers", "products", "prices", "invoices"):
            import_master_data(session, kind, (samples / f"{kind}.csv").read_bytes())


def test_queued_documents_are_processed_by_a_real_worker_process(queued_settings, samples, monkeypatch):
    ctx = build_context(queued_settings, migrate=True)
    _load_master_data(ctx, samples)
    names = ["po_acme_45810.pdf", "remit_greatlakes_ach.pdf", "po_harbor_unknown_sku.pdf"]
    queued = {}
    for name in names:
        (outcome,) = ingest(ctx, content=(samples / name).read_bytes(), filename=name, channel="upload")
        assert outcome["status"] == "queued"
        queued[name] = outcome["document_id"]
    # the same file again before the worker ran: a duplicate, and no second job
    (again,) = ingest(ctx, content=(samples / names[0]).read_bytes(), filename="again.pdf", channel="upload")
    assert again["status"] == "duplicate" and again["document_id"] == queued[names[0]]

    run = _run_worker(queued_settings)
    assert run.returncode == 0, run.stderr[-3000:]

    by_name = {name: document_outcomes(ctx, doc_id) for name, doc_id in queued.items()}
    assert by_name["po_acme_45810.pdf"][0]["status"] == "posted"
    assert by_name["remit_greatlakes_ach.pdf"][0]["status"] == "posted"
    assert by_name["po_harbor_unknown_sku.pdf"][0]["status"] == "exception"
    assert "unknown_product" in by_name["po_harbor_unknown_sku.pdf"][0]["reasons"]

    # a job run again (a retry after a crash) changes nothing: steps are idempotent
    for key, value in _worker_env(queued_settings).items():
        monkeypatch.setenv(key, value)
    process_document_job(queued[names[0]])
    with unit_of_work(ctx.session_factory) as session:
        assert session.scalar(select(func.count()).select_from(Order)) == 1


def test_api_answers_202_with_redis_and_the_worker_finishes(queued_settings, samples):
    upgrade_database(queued_settings.database_url)  # `o2c db upgrade`: PostgreSQL is never migrated implicitly
    with TestClient(create_app(queued_settings)) as client:
        _load_master_data(client.app.state.ctx, samples)
        with open(samples / "po_acme_45810.pdf", "rb") as fh:
            r = client.post(
                "/documents", files={"file": ("po.pdf", fh, "application/pdf")}, headers={"X-API-Key": "k-conn"}
            )
        assert r.status_code == 202, r.text
        document_id = r.json()["document_id"]
        assert _run_worker(queued_settings).returncode == 0
        (outcome,) = document_outcomes(client.app.state.ctx, document_id)
        assert outcome["status"] == "posted" and outcome["invoice_number"]


def test_a_finished_job_can_be_queued_again_but_a_waiting_one_only_once(queued_settings):
    upgrade_database(queued_settings.database_url)
    queue = JobQueue(queued_settings.redis_url, queued_settings.queue_name)
    assert queue.enqueue("o2c.worker.sweep_job", job_id="sweep") == f"{queued_settings.queue_name}-sweep"
    assert queue.enqueue("o2c.worker.sweep_job", job_id="sweep") is None, "a waiting job is not queued twice"
    assert _run_worker(queued_settings).returncode == 0
    assert queue.enqueue("o2c.worker.sweep_job", job_id="sweep") == f"{queued_settings.queue_name}-sweep", (
        "a finished job may run again"
    )
    assert _run_worker(queued_settings).returncode == 0


def test_a_job_that_needed_free_text_rules_tells_its_worker_to_keep_them(queued_settings, samples, monkeypatch):
    # the worker starts without spaCy (a queue of scans never needs it) and loads it once a horse reports a need
    ctx = build_context(queued_settings, migrate=True)
    _load_master_data(ctx, samples)
    (outcome,) = ingest(
        ctx, content=(samples / "mail_po_body.eml").read_bytes(), filename="mail_po_body.eml", channel="upload"
    )
    for key, value in _worker_env(queued_settings).items():
        monkeypatch.setenv(key, value)
    mark = free_text_mark(os.getppid())  # this process plays the work horse; its parent, the worker
    mark.unlink(missing_ok=True)
    try:
        process_document_job(outcome["document_id"])
        assert mark.exists()
    finally:
        mark.unlink(missing_ok=True)
