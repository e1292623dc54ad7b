"""Side effects belong to the unit of work: jobs go out after commit, never after a rollback, and each unit of
work keeps its own buffer (two threads never send each other's jobs)."""

from __future__ import annotations

import threading
import uuid

import pytest
from redis import Redis
from rq import Queue

from o2c.core.db import after_commit, make_engine, make_session_factory, unit_of_work
from o2c.core.queue import JobQueue


@pytest.fixture
def factory(tmp_path):
    return make_session_factory(make_engine(f"sqlite:///{tmp_path / 'uow.sqlite3'}"))


def test_effects_run_after_commit_and_never_after_rollback(factory):
    ran: list[str] = []
    with unit_of_work(factory) as session:
        after_commit(session, lambda: ran.append("committed"))
        assert ran == [], "nothing runs before the commit"
    assert ran == ["committed"]
    with pytest.raises(RuntimeError), unit_of_work(factory) as session:
        after_commit(session, lambda: ran.append("rolled back"))
        raise RuntimeError("the transaction fails")
    assert ran == ["committed"]


def test_every_effect_is_tried_and_the_first_failure_is_raised(factory):
    ran: list[str] = []

    def broken():
        raise ConnectionError("redis is down")

    with pytest.raises(ConnectionError), unit_of_work(factory) as session:
        after_commit(session, broken)
        after_commit(session, lambda: ran.append("second"))
    assert ran == ["second"]


@pytest.mark.redis
def test_a_rollback_sends_no_job_and_threads_keep_their_own_buffers(factory, redis_url):
    name = f"o2c-uow-{uuid.uuid4().hex[:8]}"
    queue = JobQueue(redis_url, name)
    both_buffered = threading.Barrier(2)
    errors: list[BaseException] = []

    def work(job: str, fail: bool):
        try:
            with unit_of_work(factory) as session:
                queue.enqueue_after_commit(session, "o2c.worker.sweep_job", job_id=job)
                both_buffered.wait(timeout=10)  # both threads hold a buffered job at the same moment
                if fail:
                    raise RuntimeError("rolled back")
        except RuntimeError:
            pass
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=("kept", False)), threading.Thread(target=work, args=("lost", True))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=20)
    assert not errors
    rq_queue = Queue(name, connection=Redis.from_url(redis_url))
    try:
        assert rq_queue.job_ids == [f"{name}-kept"], "only the committed unit of work sent its job"
    finally:
        rq_queue.empty()
