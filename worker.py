"""RQ entry point: thin jobs over the pipeline. Jobs carry ids only; transient faults are retried by RQ
(Retry set at enqueue), anything else is recorded on the document so the job never loops on a bad file."""

from __future__ import annotations

import contextlib
import logging
import multiprocessing as mp
import os
import tempfile
from datetime import timedelta
from pathlib import Path

from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from rq import Queue, Worker, get_current_job
from rq.cron import CronScheduler
from sqlalchemy.exc import DBAPIError, OperationalError

from o2c.core.errors import EnvironmentFault, is_transient
from o2c.core.settings import Settings, load_settings
from o2c.erp.outbox import WebhookPolicy, deliver_due
from o2c.extraction import nlp
from o2c.extraction.service import warm_up
from o2c.matching.bank import BankPolicy
from o2c.pipeline.documents import (
    PROCESS_JOB,
    PipelineContext,
    build_context,
    pending_documents,
    process_document,
)
from o2c.pipeline.statements import match_pending

log = logging.getLogger(__name__)

# Faults worth retrying: the database or Redis went away for a moment. Everything else is a property of
# the document and would fail the same way again.
TRANSIENT = (OperationalError, RedisConnectionError, RedisTimeoutError, ConnectionError, TimeoutError, EnvironmentFault)


def _context() -> PipelineContext:
    return build_context(load_settings(), migrate=False)


def process_document_job(document_id: int) -> list[dict]:
    """Run the pipeline's steps for one document; safe to run again (every step is idempotent)."""
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    ctx = _context()
    try:
        return process_document(ctx, document_id)
    except TRANSIENT:
        raise  # RQ retries with backoff
    except Exception as exc:
        if is_transient(exc):  # engine missing, disk full...: the document stays received, RQ retries
            raise
        log.exception("document %s failed in the pipeline", document_id)
        if not (isinstance(exc, DBAPIError) and exc.connection_invalidated):
            _no_more_retries()  # the same input fails the same way: keep it for a person, don't loop
        raise
    finally:
        ctx.session_factory.kw["bind"].dispose()
        if nlp.is_loaded():  # tell the worker that forked this horse: free text came up, keep spaCy loaded
            free_text_mark(os.getppid()).touch(exist_ok=True)


def free_text_mark(worker_pid: int) -> Path:
    """The file a work horse leaves for its worker once a job needed spaCy's rules (free text)."""
    return Path(tempfile.gettempdir()) / f"o2c-worker-{worker_pid}.free-text"


class O2CWorker(Worker):
    """RQ's forking worker, with extraction's engines loaded once in the worker so every work horse inherits them.
    OCR is loaded at start; spaCy (about as much CPU as the rest of the start) only after a job has needed it
    (an email body, a .txt file), so a queue of scans and PDFs never pays for it and a worker's start is short."""

    def execute_job(self, job, queue):  # noqa: ANN001, ANN201 - RQ's signature
        result = super().execute_job(job, queue)
        if not nlp.is_loaded() and free_text_mark(os.getpid()).exists():
            nlp.pipeline()
        return result


def _no_more_retries() -> None:
    job = get_current_job()
    if job is not None:
        job.retries_left = 0
        job.save_meta()
        job.save()


def sweep_job() -> list[int]:
    """Re-queue documents whose processing was cut short (a crash between steps) and that have been stuck in
    their state longer than O2C_STUCK_AFTER_MINUTES (younger ones are still being worked on)."""
    settings = load_settings()
    ctx = _context()
    ids = pending_documents(ctx, older_than=timedelta(minutes=settings.stuck_after_minutes))
    if ctx.queue is not None:  # the rows are committed already: send now
        for document_id in ids:
            ctx.queue.enqueue(PROCESS_JOB, document_id, job_id=f"o2c-process-{document_id}")
    return ids


def deliver_webhooks_job() -> dict:
    """Stage new events into the webhook outbox and send the due ones (schedule it, e.g. every minute)."""
    settings = load_settings()
    policy = WebhookPolicy.from_settings(settings)
    if policy is None:
        return {"skipped": "O2C_WEBHOOK_URL is not set"}
    return deliver_due(_context().session_factory, policy)


def match_bank_credits_job() -> list[dict]:
    """Re-decide bank credits still waiting for their remittance advice (schedule it, e.g. hourly)."""
    settings = load_settings()
    return match_pending(_context(), policy=BankPolicy.from_settings(settings))


def build_scheduler(
    connection: Redis, *, queue_name: str, sweep_seconds: int, webhook_seconds: int, bank_match_seconds: int
) -> CronScheduler:
    """RQ's own cron scheduler with o2c's periodic jobs: the stuck-document sweep, webhook delivery and the
    bank re-match, each every so many seconds (settings O2C_SWEEP_INTERVAL_SECONDS, ...)."""
    scheduler = CronScheduler(connection=connection, name=f"o2c-scheduler-{queue_name}-{os.getpid()}")
    scheduler.register(sweep_job, queue_name, interval=sweep_seconds, name="o2c-sweep")
    scheduler.register(deliver_webhooks_job, queue_name, interval=webhook_seconds, name="o2c-webhooks")
    scheduler.register(match_bank_credits_job, queue_name, interval=bank_match_seconds, name="o2c-bank-match")
    return scheduler


def _scheduler_main(redis_url: str, queue_name: str, intervals: tuple[int, int, int]) -> None:
    """The scheduler's own process (it installs signal handlers, so it needs a main thread of its own)."""
    sweep, webhooks, bank = intervals
    build_scheduler(
        Redis.from_url(redis_url),
        queue_name=queue_name,
        sweep_seconds=sweep,
        webhook_seconds=webhooks,
        bank_match_seconds=bank,
    ).start()


def run_worker(settings: Settings, *, burst: bool = False, with_scheduler: bool = False) -> bool:
    """Work the o2c queue until stopped (or until empty with burst); with_scheduler also runs the periodic
    jobs (sweep, webhooks, bank re-match) from a scheduler process that lives as long as the worker."""
    if not settings.redis_url:
        raise SystemExit("O2C_REDIS_URL is not set: without Redis, o2c processes documents inline")
    settings.check_secrets()  # unsafe settings refuse to start
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    warm_up(free_text=False)  # RQ forks a work horse per job: OCR loads once here, spaCy once a job needs it
    connection = Redis.from_url(settings.redis_url)
    queue = Queue(settings.queue_name, connection=connection)
    scheduler = None
    if with_scheduler:
        intervals = (
            int(settings.sweep_interval_seconds),
            int(settings.webhook_interval_seconds),
            int(settings.bank_match_interval_seconds),
        )
        scheduler = mp.get_context("spawn").Process(
            target=_scheduler_main,
            daemon=True,
            name="o2c-scheduler",
            args=(settings.redis_url, settings.queue_name, intervals),
        )
        scheduler.start()
    try:
        return O2CWorker([queue], connection=connection).work(burst=burst, with_scheduler=True)
    finally:
        with contextlib.suppress(OSError):
            free_text_mark(os.getpid()).unlink(missing_ok=True)
        if scheduler is not None:
            scheduler.terminate()
            scheduler.join(10)
