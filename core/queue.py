"""Background jobs: RQ on Redis when O2C_REDIS_URL is set, otherwise the caller runs the work inline.

Jobs carry ids only and have deterministic job ids; enqueueing happens after the commit that made the
rows visible, so no worker ever looks for a row that was rolled back."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

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


@dataclass
class JobQueue:
    """A thin wrapper over an RQ queue; `pending` holds jobs buffered until the transaction commits."""

    redis_url: str
    name: str = "o2c"
    pending: list[tuple[str, tuple, str]] = field(default_factory=list)

    def _queue(self):
        redis, queue, *_ = _rq()
        return queue(self.name, connection=redis.from_url(self.redis_url))

    def enqueue_after_commit(self, func_path: str, *args: int | str, job_id: str) -> None:
        """Buffer a job; it is sent by flush() once the caller's transaction has committed."""
        self.pending.append((func_path, args, job_id))

    def flush(self) -> list[str]:
        """Send the buffered jobs (idempotent per job id: a job already queued is not queued twice)."""
        sent: list[str] = []
        _redis, _queue, retry, duplicate_job_error, job = _rq()
        queue = self._queue() if self.pending else None
        while self.pending:
            func_path, args, job_id = self.pending.pop(0)
            job_id = f"{self.name}-{job_id}"  # one queue's ids never collide with another's
            for _attempt in range(2):
                try:
                    queue.enqueue_call(func_path, args=args, job_id=job_id, unique=True, result_ttl=86400,
                                       retry=retry(max=len(RETRY_INTERVALS), interval=RETRY_INTERVALS))
                    sent.append(job_id)
                    break
                except duplicate_job_error:
                    existing = job.fetch(job_id, connection=queue.connection)
                    if existing.get_status(refresh=True) in _ACTIVE:
                        log.info("job %s is already queued or running", job_id)
                        break
                    existing.delete()  # a finished or failed run of the same work: run it again (steps are idempotent)
        return sent

    def ping(self) -> bool:
        """True when Redis answers."""
        redis, *_ = _rq()
        return bool(redis.from_url(self.redis_url).ping())
