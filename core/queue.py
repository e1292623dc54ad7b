"""Background jobs: RQ on Redis when O2C_REDIS_URL is set, otherwise the caller runs the work inline.

Jobs carry ids only and have deterministic job ids; enqueueing happens after the commit that made the
rows visible (the unit of work's own buffer), so no worker ever looks for a row that was rolled back."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy.orm import Session

from o2c.core.db import after_commit

log = logging.getLogger(__name__)

RETRY_INTERVALS = [10, 60, 300]
_ACTIVE = {"queued", "started", "deferred", "scheduled"}  # rq's JobStatus values (a str enum)

# redis and rq are imported when a queue is first used, not with core: the CLI and the inline mode never need them


def _rq():
    from redis import Redis
    from rq import Queue, Retry
    from rq.exceptions import DuplicateJobError
    from rq.job import Job

    return Redis, Queue, Retry, DuplicateJobError, Job


@dataclass(frozen=True)
class JobQueue:
    """A thin wrapper over an RQ queue. Jobs that depend on rows being written go through
    `enqueue_after_commit`, which buffers them on the caller's unit of work (core.db.after_commit)."""

    redis_url: str
    name: str = "o2c"

    def _queue(self):
        redis, queue, *_ = _rq()
        return queue(self.name, connection=redis.from_url(self.redis_url))

    def enqueue_after_commit(self, session: Session, func_path: str, *args: int | str, job_id: str) -> None:
        """Send the job once `session`'s transaction commits; a rollback drops it."""
        after_commit(session, lambda: self.enqueue(func_path, *args, job_id=job_id))

    def enqueue(self, func_path: str, *args: int | str, job_id: str) -> str | None:
        """Send a job now (idempotent per job id: one already waiting or running is not queued twice).
        Returns the queued job's id, or None when the same work is already waiting."""
        _redis, _queue, retry, duplicate_job_error, job = _rq()
        queue = self._queue()
        job_id = f"{self.name}-{job_id}"  # one queue's ids never collide with another's
        for _attempt in range(2):
            try:
                queue.enqueue_call(
                    func_path,
                    args=args,
                    job_id=job_id,
                    unique=True,
                    result_ttl=86400,
                    retry=retry(max=len(RETRY_INTERVALS), interval=RETRY_INTERVALS),
                )
                return job_id
            except duplicate_job_error:
                existing = job.fetch(job_id, connection=queue.connection)
                if existing.get_status(refresh=True) in _ACTIVE:
                    log.info("job %s is already queued or running", job_id)
                    return None
                existing.delete()  # a finished or failed run of the same work: run it again (steps are idempotent)
        return None

    def ping(self) -> bool:
        """True when Redis answers."""
        redis, *_ = _rq()
        return bool(redis.from_url(self.redis_url).ping())
