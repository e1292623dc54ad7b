"""Crash injection for the durability tests: `O2C_CRASH_AT=<point>` makes the process SIGKILL itself there.

The points sit inside the pipeline's steps, where a power cut or an OOM kill would hurt most (after the slow
work, inside the transaction before its commit, between two commits). Unset, a point costs one dict lookup."""

from __future__ import annotations

import os
import signal

CRASH_POINTS = ("extract.before_commit", "decide.before_commit", "decide.after_commit")


def crash_point(name: str) -> None:
    """Die here, at once and without cleanup (kill -9), when O2C_CRASH_AT names this point."""
    if os.environ.get("O2C_CRASH_AT") == name:
        os.kill(os.getpid(), signal.SIGKILL)
