"""What every connector shares: the `deliver` callback's shape and the reconnect backoff."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Protocol


class Deliver(Protocol):
    """Hands one raw file to intake. MUST be idempotent per source_key; raises O2CError when intake refuses it."""

    def __call__(self, content: bytes, filename: str, source_key: str, sender: str | None) -> None: ...


@dataclass
class Backoff:
    """Exponential backoff with a little jitter, reset after a success: 1 s, 2 s, 4 s ... up to `maximum`."""

    initial: float = 1.0
    maximum: float = 300.0
    factor: float = 2.0
    jitter: float = 0.1
    _failures: int = field(default=0, init=False)

    def next_delay(self) -> float:
        """The wait before the next attempt; each call counts one more failure."""
        delay = min(self.maximum, self.initial * self.factor**self._failures)
        self._failures += 1
        return delay * (1 + random.uniform(0, self.jitter))

    def reset(self) -> None:
        """Back to the initial delay (after a successful attempt)."""
        self._failures = 0
