"""A value read at most once per interval in this process (the diagnostics' only cache).

Every other cache of the server is invalidated by a stored version or a snapshot change;
these few figures (worker state, node reports, runtime failures) move with heartbeats
seconds apart, and reading them on every request cost more than the rest of the answer.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class Recent(Generic[T]):
    """``get()`` returns what ``load()`` returned less than ``seconds`` ago, or loads again."""

    def __init__(self, load: Callable[[], T], *, seconds: float) -> None:
        self._load = load
        self.seconds = seconds
        self._memo: tuple[float, T] | None = None

    def get(self) -> T:
        """Return the value, loading it when the last load is ``seconds`` old or more."""
        now = time.monotonic()
        memo = self._memo  # replaced whole, never changed: safe to read without a lock
        if memo is not None and now - memo[0] < self.seconds:
            return memo[1]
        value = self._load()
        self._memo = (now, value)
        return value

    def forget(self) -> None:
        """Load afresh at the next ``get()`` (tests)."""
        self._memo = None
