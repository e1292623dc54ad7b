"""State machines written down: each status column changes only through one transition function that checks the
move against its table, so a document can never jump from rejected to posted by accident."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import TypeVar

from o2c.core.errors import Conflict

S = TypeVar("S", bound=StrEnum)


class InvalidTransition(Conflict):
    """A status change that its state machine does not allow."""

    code = "invalid_transition"


def check_transition(moves: Mapping[S, frozenset[S]], current: S | None, new: S, *, what: str) -> None:
    """Raise InvalidTransition unless `current -> new` is in `moves` (staying put is always allowed)."""
    if current is None or current == new:
        return
    if new not in moves.get(current, frozenset()):
        allowed = ", ".join(sorted(moves.get(current, frozenset()))) or "nothing"
        raise InvalidTransition(
            f"{what} cannot move from {current} to {new} (from {current}: {allowed})",
            current=str(current),
            requested=str(new),
        )
