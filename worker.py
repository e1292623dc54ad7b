"""RQ entry point: thin jobs over the pipeline. Jobs carry ids only; transient faults are retried by RQ
(Retry set at enqueue), anything else is recorded on the document so the job never loops on a bad file."""

from __future__ import annotations

import logging
import os

from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from rq import Queue, Worker, get_current_job
from sqlalchemy.exc import DBAPIError, OperationalError

from banking import match_pending
from core.settings import Settings, load_settings
from extraction.service import warm_up
from matching.bank import BankPolicy
from pipeline import PipelineContext, build_context, document_outcomes, pending_documents, process_document
from review.outbox import WebhookPolicy, deliver_due

log = logging.getLogger(__name__)

# Faults worth retrying: the database or Redis went away for a moment. Everything else is a property of
# the document and would fail the same way again.
TRANSIENT = (OperationalError, RedisConnectionError, RedisTimeoutError, ConnectionError, TimeoutError)


def _context() -> PipelineContext:
    return build_context(load_settings(), migrate=False)


def process_document_job(document_id: int) -> list[dict]:
    """Run the pipeline's steps for one document; safe to run again (every step is idempotent)."""
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    ctx = _context()
    try:
        process_document(ctx, document_id)
        return document_outcomes(ctx, document_id)
    except TRANSIENT:
        raise  # RQ retries with backoff
    except DBAPIError as exc:
        if not exc.connection_invalidated:
            _no_more_retries()
        raise
    except Exception:
        log.exception("document %s failed in the pipeline", document_id)
        _no_more_retries()  # the same input fails the same way: keep it for a person, don't loop
        raise
    finally:
        ctx.session_factory.kw["bind"].dispose()


def _no_more_retries() -> None:
    job = get_current_job()
    if job is not None:
        job.retries_left = 0
        job.save_meta()
        job.save()


def sweep_job() -> list[int]:
    """Re-queue documents whose processing was cut short (a crash between steps)."""
    ctx = _context()
    ids = pending_documents(ctx)
    if ctx.queue is not None:
        for document_id in ids:
            ctx.queue.enqueue_after_commit("worker.process_document_job", document_id,
                                           job_id=f"o2c-process-{document_id}")
        ctx.queue.flush()
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


def run_worker(settings: Settings, *, burst: bool = False) -> bool:
    """Work the o2c queue until stopped (or until empty with burst)."""
    if not settings.redis_url:
        raise SystemExit("O2C_REDIS_URL is not set: without Redis, o2c processes documents inline")
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    warm_up()  # RQ forks a work horse per job: load OCR and spaCy once here, so every horse inherits them
    connection = Redis.from_url(settings.redis_url)
    queue = Queue(settings.queue_name, connection=connection)
    return Worker([queue], connection=connection).work(burst=burst, with_scheduler=True)
