"""Where an exception stands, without the tables (the feeds read it on the embedded path too)."""

from __future__ import annotations

from enum import StrEnum


class ExceptionStatus(StrEnum):
    """Where an exception stands: open -> claimed -> resolved | dismissed (a claim may be released or expire)."""

    OPEN = "open"
    CLAIMED = "claimed"
    RESOLVED = "resolved"
    DISMISSED = "dismissed"


OPEN_STATES = (ExceptionStatus.OPEN, ExceptionStatus.CLAIMED)  # still waiting for a person
