"""The garbage collector's settings for a batch: a lockbox file decided and posted at once, `o2c ingest` of a
folder.

A batch allocates hundreds of thousands of short-lived objects (rows, decisions, drafts, journal lines). The
young generations collect those cheaply; a full collection walks every object that survived so far, so the
longer the batch the more each one costs, and with the default thresholds a cash batch runs one every few
thousand payments: at 10,000 payments x 100,000 invoices 4 full collections took 0.1 s, at 4x 17 took 0.7-1.3 s
(bench.matching; the client's CPU 1.15x per 1x). `CASH_BATCH` keeps the young generations as they are and runs
a full collection a tenth as often (one at 4x). `INGEST_BATCH` is `o2c ingest`'s, whose loop was measured
faster with the young generation collected every 20,000 allocations (for the cash batch that was slower: each
young collection then walks objects no longer in the CPU's cache). A batch that owns its process may also
freeze the heap it starts with, so no collection walks it again.

The thresholds are the process's: entering from several threads (the API's worker threads) or from inside
another batch (ingest posting a remittance) keeps the settings of the outermost batch, and the last to leave
puts back what was there before."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

CASH_BATCH = (700, 10, 100)  # CPython's young thresholds; full collections a tenth as often (default 10)
INGEST_BATCH = (20_000, 20, 20)

_lock = threading.Lock()
_state: dict = {"depth": 0, "previous": None, "froze": False}

__all__ = ["CASH_BATCH", "INGEST_BATCH", "batch_collector"]


@contextmanager
def batch_collector(threshold: tuple[int, int, int], *, freeze: bool = False) -> Iterator[None]:
    """Collect garbage at these thresholds while the block runs (freeze: also move the heap that exists when
    the outermost batch starts to the permanent generation, and back afterwards), then put the collector back
    as it was. Inside another batch, or while another thread's batch runs, the outermost batch's settings
    stay."""
    with _lock:
        if _state["depth"] == 0:
            _state["previous"], _state["froze"] = gc.get_threshold(), freeze
            if freeze:
                gc.freeze()
            gc.set_threshold(*threshold)
        _state["depth"] += 1
    try:
        yield
    finally:
        with _lock:
            _state["depth"] -= 1
            if _state["depth"] == 0:
                gc.set_threshold(*_state["previous"])
                if _state["froze"]:
                    gc.unfreeze()
