"""The collector's batch settings: the outermost batch's stay until the last batch leaves, then the process's
own come back, whatever raised, in whichever thread."""

from __future__ import annotations

import gc
import threading

import pytest

from o2c.core.collector import CASH_BATCH, INGEST_BATCH, batch_collector


def test_a_batch_sets_its_thresholds_and_puts_the_collector_back():
    before = gc.get_threshold()
    with batch_collector(CASH_BATCH):
        assert gc.get_threshold() == CASH_BATCH
    assert gc.get_threshold() == before
    with pytest.raises(RuntimeError), batch_collector(CASH_BATCH):
        raise RuntimeError("a batch that fails")
    assert gc.get_threshold() == before


def test_a_batch_inside_another_keeps_the_outer_settings_and_its_frozen_heap():
    before, frozen = gc.get_threshold(), gc.get_freeze_count()
    with batch_collector(INGEST_BATCH, freeze=True):  # o2c ingest
        held = gc.get_freeze_count()
        assert held > frozen
        with batch_collector(CASH_BATCH):  # a remittance posted by the ingest loop
            assert gc.get_threshold() == INGEST_BATCH
        assert gc.get_threshold() == INGEST_BATCH, "the inner batch did not put the defaults back early"
        assert gc.get_freeze_count() >= held, "nor did it unfreeze the outer batch's heap"
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0


def test_overlapping_batches_in_two_threads_restore_the_process_settings_once_both_left():
    before = gc.get_threshold()
    entered, leave = threading.Event(), threading.Event()

    def other_batch():
        with batch_collector(CASH_BATCH):
            entered.set()
            leave.wait(10)

    thread = threading.Thread(target=other_batch)
    with batch_collector(CASH_BATCH):
        thread.start()
        entered.wait(10)
    assert gc.get_threshold() == CASH_BATCH, "the other thread's batch still runs"
    leave.set()
    thread.join(10)
    assert gc.get_threshold() == before
