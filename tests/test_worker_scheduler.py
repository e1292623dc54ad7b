"""Real Redis: `o2c worker --with-scheduler` schedules the sweep, webhook delivery and bank re-match with RQ's own
cron scheduler, and the sweep re-queues only documents stuck longer than the setting."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from redis import Redis
from rq import Queue
from sqlalchemy import update

from o2c.core.db import unit_of_work
from o2c.core.settings import Settings
from o2c.intake.models import Document
from o2c.pipeline.documents import build_context, receive
from o2c.worker import build_scheduler, sweep_job

pytestmark = [pytest.mark.redis]


def test_the_scheduler_enqueues_the_three_periodic_jobs(redis_url):
    connection = Redis.from_url(redis_url)
    name = f"o2c-test-{uuid.uuid4().hex[:8]}"
    scheduler = build_scheduler(
        connection, queue_name=name, sweep_seconds=300, webhook_seconds=60, bank_match_seconds=3600
    )
    try:
        enqueued = scheduler.enqueue_jobs()  # every job is due at start
        assert sorted(job.func_name for job in enqueued) == [
            "o2c.worker.deliver_webhooks_job",
            "o2c.worker.match_bank_credits_job",
            "o2c.worker.sweep_job",
        ]
        queue = Queue(name, connection=connection)
        assert sorted(queue.fetch_job(i).func_name for i in queue.job_ids) == sorted(j.func_name for j in enqueued)
        assert scheduler.enqueue_jobs() == []  # not due again until their interval has passed
    finally:
        Queue(name, connection=connection).empty()


def test_the_sweep_requeues_only_documents_stuck_longer_than_the_setting(redis_url, tmp_path, monkeypatch):
    name = f"o2c-test-{uuid.uuid4().hex[:8]}"
    url = f"sqlite:///{tmp_path / 'o2c.sqlite3'}"
    env = {
        "O2C_DATABASE_URL": url,
        "O2C_REDIS_URL": redis_url,
        "O2C_QUEUE_NAME": name,
        "O2C_STORAGE_DIR": str(tmp_path / "blobs"),
        "O2C_DATA_DIR": str(tmp_path / "data"),
        "O2C_STUCK_AFTER_MINUTES": "30",
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    ctx = build_context(
        Settings(
            data_dir=tmp_path / "data",
            database_url=url,
            storage_dir=tmp_path / "blobs",
            business_date=date(2026, 3, 20),
        ),
        migrate=True,
    )
    stuck = receive(ctx, content=b"stuck order", filename="a.txt", channel="upload").document_id
    fresh = receive(ctx, content=b"fresh order", filename="b.txt", channel="upload").document_id
    with unit_of_work(ctx.session_factory) as session:  # the first one has waited an hour in 'received'
        session.execute(
            update(Document).where(Document.id == stuck).values(updated_at=datetime.now(UTC) - timedelta(hours=1))
        )
    connection = Redis.from_url(redis_url)
    try:
        assert sweep_job() == [stuck]
        assert Queue(name, connection=connection).job_ids == [f"{name}-o2c-process-{stuck}"]
        assert fresh not in sweep_job()
    finally:
        Queue(name, connection=connection).empty()
